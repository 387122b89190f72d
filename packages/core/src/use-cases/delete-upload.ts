import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { domainError, type DomainError } from '../domain/errors.js';
import type { OwnerId, UploadId } from '../domain/ids.js';
import { cancelPipeline, isActive, type EndedPipeline } from '../domain/training-pipeline.js';
import { markDeleted, uploadKey, type Upload } from '../domain/upload.js';
import { stopCanceled } from './cancel-training.js';
import type { CoreDeps } from './core-deps.js';
import { retryOnConflict } from './retry-on-conflict.js';

/** As for a cancel: each worker step is one short write, so a few re-reads outlast any run of them. */
const DELETE_RETRIES = 5;

export interface DeletedUpload {
  readonly upload: Upload;
  /** The owner's active pipeline that was using this photo, canceled because privacy wins. */
  readonly canceled: EndedPipeline | null;
}

/**
 * Marks the upload deleted (its row stays as provenance for models already trained on it),
 * cancels an active pipeline that uses it, then erases the bytes. Repeating a delete retries the
 * erasure, so a storage outage never leaves a "deleted" photo's bytes behind for good.
 */
export function deleteUpload(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly uploadId: UploadId },
): ResultAsync<DeletedUpload, DomainError> {
  const now = deps.clock.now();
  // A step the worker commits between our read and our write makes the write stale: read again.
  return retryOnConflict(DELETE_RETRIES, () =>
    deps.uow.transaction((repos) =>
      repos.uploads.get(input.ownerId, input.uploadId).andThen((upload) => {
        if (!upload) return errAsync(domainError('upload.not_found', `upload ${input.uploadId}`));
        const saved = upload.status === 'deleted' ? okAsync(upload) : repos.uploads.update(markDeleted(upload, now));
        return saved.andThen((deleted) =>
          repos.pipelines.findActive(input.ownerId).andThen((active) =>
            active && isActive(active) && active.trainingSet.items.some((item) => item.uploadId === upload.id)
              ? repos.pipelines
                  .update(cancelPipeline(active, 'training.canceled_upload_deleted', now))
                  .map((canceled) => ({ upload: deleted, canceled: canceled as EndedPipeline }))
              : okAsync<DeletedUpload, never>({ upload: deleted, canceled: null }),
          ),
        );
      }),
    ),
  ).andThen((result: DeletedUpload) =>
    (result.canceled ? stopCanceled(deps, result.canceled).map(() => result) : okAsync<DeletedUpload, never>(result)).andThen(() =>
      deps.objects.delete(uploadKey(input.ownerId, input.uploadId)).map(() => result),
    ),
  );
}
