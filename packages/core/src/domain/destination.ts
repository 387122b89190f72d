import type { OwnerId } from './ids.js';
import { ownerRef } from './owner-ref.js';

/** A trainer model, `owner/name`, that a training writes its version to. */
export interface Destination {
  readonly owner: string;
  readonly name: string;
}

export type DestinationStrategy =
  | { readonly kind: 'per-owner'; readonly account: string }
  /** One model for everybody, for accounts past the trainer's per-account model limit. */
  | { readonly kind: 'shared'; readonly account: string; readonly model: string };

export function destinationFor(strategy: DestinationStrategy, ownerId: OwnerId): Destination {
  return strategy.kind === 'shared'
    ? { owner: strategy.account, name: strategy.model }
    : { owner: strategy.account, name: `selfie-lora-${ownerRef(ownerId)}` };
}

export function destinationRef(destination: Destination): string {
  return `${destination.owner}/${destination.name}`;
}

export function sameDestination(a: Destination, b: Destination): boolean {
  return a.owner === b.owner && a.name === b.name;
}

// The trainer's names and references, the one copy: configuration, trainer answers and
// provenance are all checked against these.
const NAME_PART = '[a-z0-9][a-z0-9._-]{0,99}';
/** A model's owner or name part. */
export const MODEL_NAME_PATTERN = new RegExp(`^${NAME_PART}$`, 'i');
/** A model reference, `owner/name`. */
export const MODEL_REF_PATTERN = new RegExp(`^(${NAME_PART})/(${NAME_PART})$`, 'i');
/** A version reference, `owner/name:hash`. */
export const VERSION_REF_PATTERN = new RegExp(`^(${NAME_PART})/(${NAME_PART}):([A-Za-z0-9]{1,128})$`, 'i');

/** Parses a trainer version id `owner/name:hash`; null when malformed. */
export function parseVersion(version: string): { destination: Destination; hash: string } | null {
  const match = VERSION_REF_PATTERN.exec(version);
  if (!match) return null;
  const [, owner = '', name = '', hash = ''] = match;
  return { destination: { owner, name }, hash };
}

/** True when the trainer named a destination and it is not the expected one. */
export function contradicts(stated: Destination | null, expected: Destination): stated is Destination {
  return stated !== null && !sameDestination(stated, expected);
}
