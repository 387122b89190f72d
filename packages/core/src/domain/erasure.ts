import { destinationRef, type Destination } from './destination.js';
import type { DomainError } from './errors.js';
import type { OwnerId } from './ids.js';
import { ownerRef } from './owner-ref.js';
import { cleanupBackoffMs, type RetryPolicy } from './pipeline/retry-policy.js';

/**
 * Something of an owner's that must be erased outside the database: bytes in storage, or what a
 * training left at the trainer. Recorded in the same transaction as the decision to erase it, then
 * carried out (at once, and by the worker until it is done), so a failing store or trainer delays
 * an erasure but can never skip it.
 */
export type ErasureTarget =
  /** One object: a deleted photo. */
  | { readonly kind: 'object'; readonly key: string }
  /** Every object under an owner-scoped prefix (photos, staged uploads, training ZIPs of an erased owner). */
  | { readonly kind: 'objects'; readonly prefix: string }
  /** One version at the trainer, `owner/name:id` (the shared destination keeps everyone else's). */
  | { readonly kind: 'trainer_version'; readonly version: string }
  /** The owner's own destination model (per-owner strategy): every version at it, then the model. */
  | { readonly kind: 'trainer_model'; readonly destination: Destination };

export type ErasureKind = ErasureTarget['kind'];
export const ERASURE_KINDS = ['object', 'objects', 'trainer_version', 'trainer_model'] as const satisfies readonly ErasureKind[];

/** Why it was asked for: the owner deleted a photo, the owner was erased, or photo retention ran out. */
export const ERASURE_REASONS = ['upload_deleted', 'owner_erased', 'retention'] as const;
export type ErasureReason = (typeof ERASURE_REASONS)[number];

/**
 * `pending` until carried out; `done` once the thing is gone (or was never there); `refused` when
 * the trainer will not delete it (a version someone else ran or built on, a model not private):
 * final, reported to the operator, never retried blindly.
 */
export const ERASURE_STATES = ['pending', 'done', 'refused'] as const;
export type ErasureState = (typeof ERASURE_STATES)[number];

export interface Erasure {
  readonly ownerId: OwnerId;
  readonly target: ErasureTarget;
  readonly reason: ErasureReason;
  readonly state: ErasureState;
  readonly requestedAt: Date;
  /** Failed tries so far (the backoff grows with it). */
  readonly attempt: number;
  /** Not tried before this (a backoff, or the requester's own first try in progress); null: due now. */
  readonly notBefore: Date | null;
  readonly finishedAt: Date | null;
  /** The last failure or refusal, for the report: `code: detail`. */
  readonly lastError: string | null;
}

/** One erasure per target: asking again for the same thing finds the same row. */
export function erasureRef(target: ErasureTarget): string {
  return `${target.kind}:${erasureTargetText(target)}`;
}

/** The target as one line of text (an object key, a prefix, a version, `owner/name`). */
export function erasureTargetText(target: ErasureTarget): string {
  switch (target.kind) {
    case 'object':
      return target.key;
    case 'objects':
      return target.prefix;
    case 'trainer_version':
      return target.version;
    case 'trainer_model':
      return destinationRef(target.destination);
  }
}

/** Every storage prefix that holds an owner's bytes: photos, staged direct uploads, training ZIPs. */
export function ownerObjectPrefixes(ownerId: OwnerId): readonly string[] {
  const ref = ownerRef(ownerId);
  return [`uploads/${ref}/`, `staging/${ref}/`, `trainings/${ref}/`];
}

/**
 * How long a requester keeps an erasure it is about to carry out itself before the worker may take
 * it: a requester that dies mid-way leaves it to the worker after this long.
 */
export const ERASURE_HOLD_MS = 60_000;

export function requestErasure(fields: {
  readonly ownerId: OwnerId;
  readonly target: ErasureTarget;
  readonly reason: ErasureReason;
  readonly now: Date;
  /** Held for the requester's own try (`ERASURE_HOLD_MS`), or 0 to leave it to the worker. */
  readonly holdMs: number;
}): Erasure {
  return {
    ownerId: fields.ownerId,
    target: fields.target,
    reason: fields.reason,
    state: 'pending',
    requestedAt: fields.now,
    attempt: 0,
    notBefore: fields.holdMs > 0 ? new Date(fields.now.getTime() + fields.holdMs) : null,
    finishedAt: null,
    lastError: null,
  };
}

export function erasureDone(erasure: Erasure, now: Date): Erasure {
  return { ...erasure, state: 'done', notBefore: null, finishedAt: now, lastError: null };
}

export function erasureRefused(erasure: Erasure, error: DomainError, now: Date): Erasure {
  return { ...erasure, state: 'refused', notBefore: null, finishedAt: now, lastError: describe(error) };
}

/**
 * A try failed (storage or trainer unreachable, or not yet possible): try again later, backing off
 * as an ended pipeline's clean-up does (`baseDelayMs` doubled per failure, up to an hour). Never
 * given up: an erasure that is owed stays owed.
 */
export function erasureRetryLater(erasure: Erasure, error: DomainError, policy: RetryPolicy, now: Date): Erasure {
  const attempt = erasure.attempt + 1;
  const delay = cleanupBackoffMs(policy, attempt);
  return { ...erasure, attempt, notBefore: new Date(now.getTime() + delay), lastError: describe(error) };
}

function describe(error: DomainError): string {
  return error.detail ? `${error.code}: ${error.detail}` : error.code;
}
