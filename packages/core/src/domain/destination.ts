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

/** A trainer version id `owner/name:hash` names the model it was written to. */
export function versionBelongsTo(version: string, destination: Destination): boolean {
  const prefix = `${destinationRef(destination)}:`;
  return version.startsWith(prefix) && /^[A-Za-z0-9]{1,128}$/.test(version.slice(prefix.length));
}
