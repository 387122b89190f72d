import { okAsync, type ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import { trusted, type OwnerId, type UploadId } from '../domain/ids.js';
import { checkDeclaredSize, stagingKey, UPLOAD_SLOT_TTL_SECONDS } from '../domain/upload.js';
import { checkOpenSlotQuota } from '../domain/quotas.js';
import type { StoreError } from '../ports/object-store.js';
import type { PersistenceError, Repositories } from '../ports/repositories.js';
import { withinStorageQuota } from './register-upload.js';
import type { CoreDeps } from './core-deps.js';

export interface UploadSlot {
  readonly uploadId: UploadId;
  /** Time-limited signed URL of the owner's staging key for this id, for exactly `byteSize` bytes. */
  readonly url: string;
  readonly method: 'PUT';
  readonly expiresAt: Date;
  /** The size the client declared: the PUT must carry exactly this many bytes. */
  readonly byteSize: number;
  readonly maxBytes: number;
}

export type CreateUploadSlotError =
  | StoreError
  | PersistenceError
  | DomainError<'upload.too_large' | 'upload.corrupt' | 'quota.stored_photos' | 'quota.stored_bytes' | 'quota.open_slots'>;

/**
 * The direct way in, first half: the client declares its photo's size, which is judged against
 * the upload policy and the owner's quotas before anything is signed; then a new upload id and a
 * PUT URL of its owner-scoped staging key, signed for exactly that length. Only the slot itself
 * is recorded (id, owner, expiry), so open slots count against the quota until `completeUpload`
 * closes them or they expire; the upload exists only once `completeUpload` has judged the bytes.
 */
export function createUploadSlot(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly byteSize: number },
): ResultAsync<UploadSlot, CreateUploadSlotError> {
  const { maxBytes } = deps.config.uploadPolicy;
  return checkDeclaredSize(deps.config.uploadPolicy, input.byteSize).asyncAndThen((byteSize) => {
    const uploadId = trusted<UploadId>(deps.ids.next());
    const now = deps.clock.now();
    const expiresAt = new Date(now.getTime() + UPLOAD_SLOT_TTL_SECONDS * 1000);
    // Refused before signing: a full owner is told now, not after uploading (complete checks again).
    return deps.uow
      .transaction((repos) =>
        withinStorageQuota(deps, repos, input.ownerId, { photos: 1, bytes: byteSize })
          .andThen(() => withinOpenSlotQuota(deps, repos, input.ownerId, now))
          .andThen(() => repos.uploadSlots.record({ ownerId: input.ownerId, uploadId, expiresAt })),
      )
      .andThen(() => deps.objects.signedPutUrl(stagingKey(input.ownerId, uploadId), UPLOAD_SLOT_TTL_SECONDS, { contentLength: byteSize }))
      .map((url) => ({ uploadId, url, method: 'PUT' as const, expiresAt, byteSize, maxBytes }));
  });
}

function withinOpenSlotQuota(deps: CoreDeps, repos: Repositories, ownerId: OwnerId, now: Date): ResultAsync<void, CreateUploadSlotError> {
  const quotas = deps.config.quotas;
  if (!quotas) return okAsync(undefined);
  return repos.uploadSlots.listOpenExpiries(ownerId, now).andThen((expiries) => checkOpenSlotQuota(quotas, expiries, now));
}
