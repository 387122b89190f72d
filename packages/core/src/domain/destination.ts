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

/** Parses a trainer version id `owner/name:hash`; null when malformed. */
export function parseVersion(version: string): { destination: Destination; hash: string } | null {
  const match = /^([a-z0-9][a-z0-9._-]{0,99})\/([a-z0-9][a-z0-9._-]{0,99}):([A-Za-z0-9]{1,128})$/i.exec(version);
  if (!match) return null;
  const [, owner = '', name = '', hash = ''] = match;
  return { destination: { owner, name }, hash };
}

/** True when the trainer named a destination and it is not the expected one. */
export function contradicts(stated: Destination | null, expected: Destination): stated is Destination {
  return stated !== null && !sameDestination(stated, expected);
}
