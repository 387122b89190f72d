import { err, ok, type Result } from 'neverthrow';
import { DAY_MS } from './durations.js';
import { domainError, type DomainError } from './errors.js';
import type { PendingUpload } from './pending-upload.js';
import type { Upload } from './upload.js';

/**
 * Per-owner limits on what costs money or space (issue 15): GPU trainings started per rolling
 * day, photos and bytes held in storage. Judged here from facts the repositories give; the
 * numbers come from the composition root (docs/security.md "Quotas").
 */
export interface QuotaPolicy {
  /** Trainings (starts and restarts) an owner may create in any 24 hours. */
  readonly trainingsPerDay: number;
  /** Stored (not deleted) photos an owner may hold. */
  readonly maxStoredPhotos: number;
  /** Bytes of stored photos an owner may hold. */
  readonly maxStoredBytes: number;
  /** Presigned upload slots an owner may hold open (handed out, not completed, not expired). */
  readonly maxOpenSlots: number;
}

export const defaultQuotaPolicy: QuotaPolicy = { trainingsPerDay: 10, maxStoredPhotos: 200, maxStoredBytes: 2 * 1024 ** 3, maxOpenSlots: 20 };

export type QuotaCode = 'quota.trainings_per_day' | 'quota.stored_photos' | 'quota.stored_bytes' | 'quota.open_slots';

/** Storage is freed by deleting photos, not by waiting: the hint only paces a client that retries blindly. */
export const STORAGE_RETRY_AFTER_SECONDS = 3600;

function exceeded<C extends QuotaCode>(code: C, detail: string, retryAfterSeconds: number): DomainError<C> {
  return { ...domainError(code, detail), retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) };
}

/**
 * Whether the owner may create one more training now, given when their earlier ones were
 * created. When not, `retryAfterSeconds` is when the oldest training in the window leaves it.
 */
export function checkTrainingQuota(
  policy: QuotaPolicy,
  createdAt: readonly Date[],
  now: Date,
): Result<void, DomainError<'quota.trainings_per_day'>> {
  const since = now.getTime() - DAY_MS;
  const recent = createdAt.map((at) => at.getTime()).filter((at) => at > since).sort((a, b) => a - b);
  if (recent.length < policy.trainingsPerDay) return ok(undefined);
  // The training whose leaving the window brings the count below the limit.
  const freesASlot = recent[recent.length - policy.trainingsPerDay]!;
  return err(
    exceeded('quota.trainings_per_day', `${recent.length} trainings in 24 h, limit ${policy.trainingsPerDay}`, (freesASlot + DAY_MS - now.getTime()) / 1000),
  );
}

export interface StoredUsage {
  readonly photos: number;
  readonly bytes: number;
}

/**
 * What an owner holds in storage: their stored (not deleted) uploads, and the photos received
 * and still checking (held as sent until judged), so checks after the answer cannot be flooded.
 * The repositories answer the same sums by aggregate (`Uploads.storedUsage`, `checkingUsage`).
 */
export function storedUsage(uploads: readonly Upload[], pending: readonly PendingUpload[] = []): StoredUsage {
  const held = [...uploads.filter((upload) => upload.status === 'stored'), ...pending.filter((photo) => photo.status === 'checking')];
  return { photos: held.length, bytes: held.reduce((sum, photo) => sum + photo.byteSize, 0) };
}

export function addUsage(a: StoredUsage, b: StoredUsage): StoredUsage {
  return { photos: a.photos + b.photos, bytes: a.bytes + b.bytes };
}

/** Whether `adding` more fits in the owner's storage quota beside what they already hold. */
export function checkStorageQuota(
  policy: QuotaPolicy,
  usage: StoredUsage,
  adding: StoredUsage,
): Result<void, DomainError<'quota.stored_photos' | 'quota.stored_bytes'>> {
  if (usage.photos + adding.photos > policy.maxStoredPhotos) {
    return err(exceeded('quota.stored_photos', `${usage.photos} photos stored, limit ${policy.maxStoredPhotos}`, STORAGE_RETRY_AFTER_SECONDS));
  }
  if (usage.bytes + adding.bytes > policy.maxStoredBytes) {
    return err(
      exceeded('quota.stored_bytes', `${usage.bytes} + ${adding.bytes} bytes, limit ${policy.maxStoredBytes}`, STORAGE_RETRY_AFTER_SECONDS),
    );
  }
  return ok(undefined);
}

/**
 * Whether the owner may open one more upload slot, given when their open ones expire (soonest
 * first). When not, `retryAfterSeconds` is when the soonest leaves (completing one frees it sooner).
 */
export function checkOpenSlotQuota(policy: QuotaPolicy, openExpiries: readonly Date[], now: Date): Result<void, DomainError<'quota.open_slots'>> {
  const open = openExpiries.filter((expiresAt) => expiresAt > now);
  if (open.length < policy.maxOpenSlots) return ok(undefined);
  const soonest = Math.min(...open.map((expiresAt) => expiresAt.getTime()));
  return err(exceeded('quota.open_slots', `${open.length} upload slots open, limit ${policy.maxOpenSlots}`, (soonest - now.getTime()) / 1000));
}
