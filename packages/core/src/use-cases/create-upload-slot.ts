import type { ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import { trusted, type OwnerId, type UploadId } from '../domain/ids.js';
import { checkDeclaredSize, stagingKey, UPLOAD_SLOT_TTL_SECONDS } from '../domain/upload.js';
import type { StoreError } from '../ports/object-store.js';
import type { PersistenceError } from '../ports/repositories.js';
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
  | DomainError<'upload.too_large' | 'upload.corrupt' | 'quota.stored_photos' | 'quota.stored_bytes'>;

/**
 * The direct way in, first half: the client declares its photo's size, which is judged against
 * the upload policy before anything is signed; then a new upload id and a PUT URL of its
 * owner-scoped staging key, signed for exactly that length. Nothing is recorded (so the declared
 * size is not either): the upload exists only once `completeUpload` has judged the bytes.
 */
export function createUploadSlot(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly byteSize: number },
): ResultAsync<UploadSlot, CreateUploadSlotError> {
  const { maxBytes } = deps.config.uploadPolicy;
  return checkDeclaredSize(deps.config.uploadPolicy, input.byteSize).asyncAndThen((byteSize) =>
    // Refused before signing: a full owner is told now, not after uploading (complete checks again).
    deps.uow.transaction((repos) => withinStorageQuota(deps, repos, input.ownerId, { photos: 1, bytes: byteSize })).andThen(() => signSlot(deps, input.ownerId, byteSize, maxBytes)),
  );
}

function signSlot(deps: CoreDeps, ownerId: OwnerId, byteSize: number, maxBytes: number): ResultAsync<UploadSlot, CreateUploadSlotError> {
  const uploadId = trusted<UploadId>(deps.ids.next());
  const expiresAt = new Date(deps.clock.now().getTime() + UPLOAD_SLOT_TTL_SECONDS * 1000);
  return deps.objects
    .signedPutUrl(stagingKey(ownerId, uploadId), UPLOAD_SLOT_TTL_SECONDS, { contentLength: byteSize })
    .map((url) => ({ uploadId, url, method: 'PUT' as const, expiresAt, byteSize, maxBytes }));
}
