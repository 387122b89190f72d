import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addUsage, checkOpenSlotQuota, checkStorageQuota, checkTrainingQuota, defaultQuotaPolicy, storedUsage, STORAGE_RETRY_AFTER_SECONDS } from '../src/domain/quotas.js';
import { receivePhoto, refusePhoto } from '../src/domain/pending-upload.js';
import { trusted, type OwnerId, type Sha256, type UploadId } from '../src/domain/ids.js';
import { anUpload } from './support/upload-builder.js';

const DAY_MS = 24 * 3600 * 1000;
const NOW = Date.parse('2026-12-02T12:00:00Z');

describe('training quota', () => {
  it('never lets more than the limit start in any 24 h, and Retry-After is exactly when one more may', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: -2 * DAY_MS, max: 0 }), { maxLength: 15 }),
        (limit, offsets) => {
          const policy = { ...defaultQuotaPolicy, trainingsPerDay: limit };
          const created = offsets.map((offset) => new Date(NOW + offset));
          const inWindow = offsets.filter((offset) => offset > -DAY_MS).length;
          const verdict = checkTrainingQuota(policy, created, new Date(NOW));
          expect(verdict.isOk()).toBe(inWindow < limit);
          if (verdict.isErr()) {
            expect(verdict.error.code).toBe('quota.trainings_per_day');
            expect(verdict.error.detail).toBe(`${inWindow} trainings in 24 h, limit ${limit}`);
            const wait = verdict.error.retryAfterSeconds!;
            expect(wait).toBeGreaterThanOrEqual(1);
            // Asking at Retry-After succeeds; a second before it would still be refused (unless rounding made it 1 s).
            expect(checkTrainingQuota(policy, created, new Date(NOW + wait * 1000)).isOk()).toBe(true);
            if (wait > 1) expect(checkTrainingQuota(policy, created, new Date(NOW + (wait - 1) * 1000 - 1)).isErr()).toBe(true);
          }
        },
      ),
    );
  });
});

describe('training quota at the edge of the window', () => {
  it('counts a training created 24 h ago to the millisecond as out of the window, and one a millisecond later as in it', () => {
    const policy = { ...defaultQuotaPolicy, trainingsPerDay: 1 };
    expect(checkTrainingQuota(policy, [new Date(NOW - DAY_MS)], new Date(NOW)).isOk()).toBe(true);
    expect(checkTrainingQuota(policy, [new Date(NOW - DAY_MS + 1)], new Date(NOW)).isErr()).toBe(true);
  });
});

describe('storage quota', () => {
  const policy = { ...defaultQuotaPolicy, maxStoredPhotos: 3, maxStoredBytes: 1_000 };

  it('counts only stored photos and their bytes, not deleted ones', () => {
    const kept = [anUpload().sized(100).build(), anUpload().sized(250).build()];
    const gone = anUpload().sized(400).deleted().build();
    expect(storedUsage([...kept, gone])).toEqual({ photos: 2, bytes: 350 });
    expect(storedUsage([])).toEqual({ photos: 0, bytes: 0 });
  });

  it('counts photos still checking at their size as sent, never refused ones, and adds usages', () => {
    const received = (id: string, byteSize: number) =>
      receivePhoto({ id: trusted<UploadId>(id), ownerId: trusted<OwnerId>('alice'), sourceSha256: trusted<Sha256>('b'.repeat(64)), byteSize, now: new Date(NOW) });
    const kept = [anUpload().sized(100).build()];
    const refused = refusePhoto(received('r', 5_000), 'upload.no_face', new Date(NOW));
    expect(storedUsage(kept, [received('c1', 30), refused, received('c2', 7)])).toEqual({ photos: 3, bytes: 137 });
    expect(storedUsage([], [refused])).toEqual({ photos: 0, bytes: 0 });
    expect(storedUsage(kept)).toEqual({ photos: 1, bytes: 100 });
    expect(addUsage({ photos: 2, bytes: 300 }, { photos: 1, bytes: 45 })).toEqual({ photos: 3, bytes: 345 });
  });

  it('lets an owner fill the quota exactly, and refuses one photo or one byte more', () => {
    expect(checkStorageQuota(policy, { photos: 2, bytes: 600 }, { photos: 1, bytes: 400 }).isOk()).toBe(true);
    expect(checkStorageQuota(policy, { photos: 2, bytes: 600 }, { photos: 1, bytes: 401 }).isErr()).toBe(true);
    expect(checkStorageQuota(policy, { photos: 3, bytes: 0 }, { photos: 1, bytes: 1 }).isErr()).toBe(true);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1_000 }), (photos, bytes, addPhotos, addBytes) => {
        const verdict = checkStorageQuota(policy, { photos, bytes }, { photos: addPhotos, bytes: addBytes });
        if (photos + addPhotos > 3) {
          expect(verdict._unsafeUnwrapErr()).toMatchObject({
            code: 'quota.stored_photos',
            detail: `${photos} photos stored, limit 3`,
            retryAfterSeconds: STORAGE_RETRY_AFTER_SECONDS,
          });
        } else if (bytes + addBytes > 1_000) {
          expect(verdict._unsafeUnwrapErr()).toMatchObject({
            code: 'quota.stored_bytes',
            detail: `${bytes} + ${addBytes} bytes, limit 1000`,
            retryAfterSeconds: STORAGE_RETRY_AFTER_SECONDS,
          });
        } else {
          expect(verdict.isOk()).toBe(true);
        }
      }),
    );
  });
});

describe('open upload slot quota', () => {
  it('refuses only when the unexpired slots reach the limit, and Retry-After is when the soonest expires', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: -3600_000, max: 3600_000 }), { maxLength: 12 }), (limit, offsets) => {
        const policy = { ...defaultQuotaPolicy, maxOpenSlots: limit };
        const expiries = offsets.map((offset) => new Date(NOW + offset));
        const open = offsets.filter((offset) => offset > 0);
        const verdict = checkOpenSlotQuota(policy, expiries, new Date(NOW));
        expect(verdict.isOk()).toBe(open.length < limit);
        if (verdict.isErr()) {
          expect(verdict.error.code).toBe('quota.open_slots');
          expect(verdict.error.detail).toBe(`${open.length} upload slots open, limit ${limit}`);
          expect(verdict.error.retryAfterSeconds).toBe(Math.max(1, Math.ceil(Math.min(...open) / 1000)));
          // Once the soonest has expired, one more may open (when it was the one over the limit).
          const later = new Date(NOW + Math.min(...open));
          expect(checkOpenSlotQuota(policy, expiries, later).isOk()).toBe(open.filter((offset) => offset > Math.min(...open)).length < limit);
        }
      }),
    );
  });
});
