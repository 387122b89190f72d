import { DAY_MS } from './durations.js';
import { errorMessages } from './errors.js';
import type { OwnerId, Sha256, UploadId } from './ids.js';
import { cleanupBackoffMs, type RetryPolicy } from './pipeline/retry-policy.js';

// A photo received and answered before it is judged (issue 11 point 4): the bytes as sent wait
// under the owner's staging key while the worker normalises and checks them. It becomes a
// stored `Upload` under the same id, or stays here `refused` with the reason, without its bytes.
// It is never part of a training set: only stored uploads are (I1 is unchanged).

export type PendingUploadStatus = 'checking' | 'refused';

/** Why a received photo was not stored: the codes a photo judged before the answer is refused with, and a few of its own. */
export const REFUSAL_CODES = [
  'upload.too_large',
  'upload.unsupported_type',
  'upload.corrupt',
  'upload.too_small',
  'upload.too_many_pixels',
  'upload.no_face',
  'upload.several_faces',
  'upload.checks_unavailable',
  'upload.duplicate',
  'upload.not_found',
  'quota.stored_photos',
  'quota.stored_bytes',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export function isRefusalCode(code: string): code is RefusalCode {
  return (REFUSAL_CODES as readonly string[]).includes(code);
}

export interface Refusal {
  readonly code: RefusalCode;
  /** Written for the owner. */
  readonly message: string;
}

export interface PendingUpload {
  readonly id: UploadId;
  readonly ownerId: OwnerId;
  readonly status: PendingUploadStatus;
  /** Of the bytes as sent: sending them again while they are checked answers this one (dedup). */
  readonly sourceSha256: Sha256;
  /** Of the bytes as sent (they count against the stored-bytes quota while checked). */
  readonly byteSize: number;
  readonly receivedAt: Date;
  /** Checks tried that could not finish (storage or the face inspector unavailable). */
  readonly attempts: number;
  /** A check may start at or after this (a retry's backoff, or a running check's hold); null: now. */
  readonly notBefore: Date | null;
  readonly refusal: Refusal | null;
  readonly settledAt: Date | null;
  readonly revision: number;
}

/** Tries of a check that could not finish before the photo is refused as `upload.checks_unavailable`. */
export const MAX_CHECK_ATTEMPTS = 6;

/** How long a claimed check is its worker's: one whose worker died is due again after this. */
export const CHECK_HOLD_MS = 5 * 60_000;

/** Refused photos are listed this long (their reason shown to the owner), then forgotten. */
export const REFUSED_RETENTION_MS = 7 * DAY_MS;

// Said differently from the error a request would get: the photo was received, then judged.
const ownMessages: Partial<Record<RefusalCode, string>> = {
  'upload.not_found': 'This photo was lost before it could be checked. Please upload it again.',
  'upload.checks_unavailable': 'We could not check this photo for a long while. Please upload it again later.',
};

export function refusal(code: RefusalCode): Refusal {
  const message = code === 'upload.duplicate' ? 'You had already uploaded this photo; it is kept once.' : (ownMessages[code] ?? errorMessages[code]);
  return { code, message };
}

export function receivePhoto(fields: {
  readonly id: UploadId;
  readonly ownerId: OwnerId;
  readonly sourceSha256: Sha256;
  readonly byteSize: number;
  readonly now: Date;
}): PendingUpload {
  return {
    id: fields.id,
    ownerId: fields.ownerId,
    status: 'checking',
    sourceSha256: fields.sourceSha256,
    byteSize: fields.byteSize,
    receivedAt: fields.now,
    attempts: 0,
    notBefore: null,
    refusal: null,
    settledAt: null,
    revision: 0,
  };
}

export function refusePhoto(pending: PendingUpload, code: RefusalCode, now: Date): PendingUpload {
  return { ...pending, status: 'refused', notBefore: null, refusal: refusal(code), settledAt: now };
}

/**
 * A check that could not finish: due again after a growing backoff, refused once it has been
 * tried `MAX_CHECK_ATTEMPTS` times (a photo is never left checking for ever).
 */
export function checkDeferred(pending: PendingUpload, policy: RetryPolicy, now: Date): PendingUpload {
  const attempts = pending.attempts + 1;
  if (attempts >= MAX_CHECK_ATTEMPTS) return { ...refusePhoto(pending, 'upload.checks_unavailable', now), attempts };
  return { ...pending, attempts, notBefore: new Date(now.getTime() + cleanupBackoffMs(policy, attempts)) };
}

export function isChecking(pending: PendingUpload): boolean {
  return pending.status === 'checking';
}
