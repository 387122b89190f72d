import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { ERASURE_HOLD_MS, requestErasure, type Erasure } from '../domain/erasure.js';
import { domainError, type DomainError } from '../domain/errors.js';
import type { OwnerId, UploadId } from '../domain/ids.js';
import { cancelPipeline, isActive, type ActivePipeline, type FailedOrCanceledPipeline, type TrainingPipeline } from '../domain/training-pipeline.js';
import { markDeleted, uploadKey, type Upload } from '../domain/upload.js';
import { tryCleanUpNow } from './clean-up-ended.js';
import { carryOutErasure } from './carry-out-erasures.js';
import type { Repositories } from '../ports/repositories.js';
import type { CoreDeps } from './core-deps.js';
import { retryOnConflict } from './retry-on-conflict.js';

/** As for a cancel: each worker step is one short write, so a few re-reads outlast any run of them. */
const DELETE_RETRIES = 5;

export interface DeletedUpload {
  readonly upload: Upload;
  /** The owner's active pipeline that was using this photo, canceled because privacy wins. */
  readonly canceled: FailedOrCanceledPipeline | null;
  /**
   * The erasure of its bytes: `done` when they are gone; `pending` when storage failed, in which
   * case the worker keeps trying (with backoff) until they are.
   */
  readonly erasure: Erasure;
}

/**
 * Marks the upload deleted (its row stays as provenance for models already trained on it) and
 * records the erasure of its bytes in the same transaction, cancels an active pipeline that uses
 * it, then erases the bytes at once. If storage fails, the erasure stays owed and the worker
 * carries it out later (`carryOutDueErasures`): committing the delete means the bytes will go.
 */
export function deleteUpload(
  deps: CoreDeps,
  input: {
    readonly ownerId: OwnerId;
    readonly uploadId: UploadId;
    /** The owner's delete (the default), or photo retention running out: the same erasure either way. */
    readonly reason?: 'upload_deleted' | 'retention';
  },
): ResultAsync<DeletedUpload, DomainError> {
  const now = deps.clock.now();
  const owed = requestErasure({
    ownerId: input.ownerId,
    target: { kind: 'object', key: uploadKey(input.ownerId, input.uploadId) },
    reason: input.reason ?? 'upload_deleted',
    now,
    holdMs: ERASURE_HOLD_MS,
  });
  // A step the worker commits between our read and our write makes the write stale: read again.
  return retryOnConflict(DELETE_RETRIES, () => deps.uow.transaction((repos) => recordDeletion(repos, input, owed, now)))
    .andThen((result) => (result.canceled ? tryCleanUpNow(deps, result.canceled).map(() => result) : okAsync(result)))
    .andThen((result) =>
      // A database failure recording the outcome leaves the erasure owed: the worker takes it later.
      carryOutErasure(deps, result.erasure)
        .map((erasure) => ({ ...result, erasure }))
        .orElse(() => okAsync<DeletedUpload, never>(result)),
    );
}

/**
 * In one transaction: the upload marked deleted (kept if it already is), its erasure owed, and
 * the owner's active pipeline canceled when it uses this photo.
 */
function recordDeletion(
  repos: Repositories,
  input: { readonly ownerId: OwnerId; readonly uploadId: UploadId },
  owed: Erasure,
  now: Date,
): ResultAsync<DeletedUpload, DomainError> {
  const usesIt = (active: TrainingPipeline | null): active is ActivePipeline =>
    active !== null && isActive(active) && active.trainingSet.items.some((item) => item.uploadId === input.uploadId);
  return repos.uploads
    .get(input.ownerId, input.uploadId)
    .andThen((upload) => (upload ? okAsync(upload) : errAsync(domainError('upload.not_found', `upload ${input.uploadId}`))))
    .andThen((upload) => (upload.status === 'deleted' ? okAsync(upload) : repos.uploads.update(markDeleted(upload, now))))
    .andThen((upload) => repos.erasures.request(owed).map((erasure) => ({ upload, erasure })))
    .andThen((deleted) =>
      repos.pipelines
        .findActive(input.ownerId)
        .andThen((active) => (usesIt(active) ? repos.pipelines.update(cancelPipeline(active, 'training.canceled_upload_deleted', now)) : okAsync(null)))
        .map((canceled): DeletedUpload => ({ ...deleted, canceled })),
    );
}
