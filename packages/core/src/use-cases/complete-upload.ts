import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { domainError, type DomainError } from '../domain/errors.js';
import { UploadId, type OwnerId } from '../domain/ids.js';
import { stagingKey } from '../domain/upload.js';
import type { CoreDeps } from './core-deps.js';
import { discardObject } from './discard-object.js';
import { storeUpload, type RegisteredUpload, type RegisterUploadError } from './register-upload.js';

export type CompleteUploadError = RegisterUploadError | DomainError<'upload.not_found'>;

/** The slot stops counting against the owner's open-slot quota once its upload is judged. */
export function closeSlot(deps: CoreDeps, ownerId: OwnerId, uploadId: UploadId): ResultAsync<void, CompleteUploadError> {
  return deps.uow.transaction((repos) => repos.uploadSlots.close(ownerId, uploadId));
}

/** Nothing staged under this owner and id: the person has not uploaded (or used another account). */
export function notStaged(detail: string): DomainError<'upload.not_found'> {
  return {
    ...domainError('upload.not_found', detail),
    message: 'We could not find that photo. Upload the file to the address you were given first, then complete the upload.',
  };
}

/**
 * Judges what arrived under the staging key exactly as a multipart upload is judged (the same
 * `storeUpload`), then deletes the staging object, whatever the verdict. A transient failure
 * keeps it, so completing again can succeed without uploading again.
 */
function completeFromStaging(
  deps: CoreDeps,
  ownerId: OwnerId,
  uploadId: UploadId,
): ResultAsync<RegisteredUpload, CompleteUploadError> {
  const key = stagingKey(ownerId, uploadId);
  // One read: the final put stops at the size limit (`upload.too_large`), so an oversized object
  // is never copied whole. The slot's URL is signed for the declared length, which S3 enforces;
  // that length is recorded nowhere (a slot records nothing), so this limit is the guard against
  // a store that does not check the signed length.
  return deps.objects
    .read(key)
    .andThen((body): ResultAsync<RegisteredUpload, CompleteUploadError> =>
      body ? storeUpload(deps, { ownerId, uploadId, body }) : errAsync(notStaged(`nothing at ${key}`)),
    )
    .andThen((registered) => discardObject(deps, key).map(() => registered))
    .orElse((error) =>
      error.transient || error.code === 'upload.not_found'
        ? errAsync(error)
        : discardObject(deps, key).andThen(() => errAsync(error)),
    );
}

/**
 * The direct way in, second half: verifies the object the owner PUT through their upload slot.
 * Completing an id the owner already has returns that upload (idempotent). Keys are
 * owner-scoped, so another owner's id finds nothing: `upload.not_found`.
 */
export function completeUpload(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly uploadId: string },
): ResultAsync<RegisteredUpload, CompleteUploadError> {
  return UploadId.parse(input.uploadId)
    .mapErr(() => domainError('upload.not_found', 'malformed upload id'))
    .asyncAndThen((uploadId) => {
      const recorded = (): ResultAsync<RegisteredUpload | null, CompleteUploadError> =>
        deps.uow
          .transaction((repos) => repos.uploads.get(input.ownerId, uploadId))
          .map((existing) => (existing ? { upload: existing, duplicate: true } : null));
      return recorded().andThen((done) =>
        done
          ? okAsync(done)
          : completeFromStaging(deps, input.ownerId, uploadId)
              .orElse((error) =>
                // A concurrent complete of the same id may have just recorded it and removed the staging object.
                error.code === 'upload.not_found' ? recorded().andThen((raced) => (raced ? okAsync(raced) : errAsync(error))) : errAsync(error),
              )
              .andThen((registered) => closeSlot(deps, input.ownerId, uploadId).map(() => registered))
              .orElse((error) =>
                // A refused photo frees its slot too; a transient failure keeps it for the retry.
                error.transient || error.code === 'upload.not_found' ? errAsync(error) : closeSlot(deps, input.ownerId, uploadId).andThen(() => errAsync(error)),
              ),
      );
    });
}
