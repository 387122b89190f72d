import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import {
  createPipeline,
  destinationFor,
  domainError,
  erasureDone,
  markDeleted,
  requestErasure,
  trainingSetFrom,
  trusted,
  uploadKey,
  type DeletedUpload,
  type DomainError,
  type PipelineId,
  type StartedTraining,
  type Upload,
} from '@selfie-lora/core';
import type { UseCases } from './concurrent-commands.js';

// Deliberately broken copies of two use cases, built from the core's public parts. The
// concurrency property must reject each: they show its checks can fail, on rows read from Postgres.

/**
 * Deletes a photo but never cancels the active pipeline that uses it (privacy no longer wins).
 * Otherwise as the real one: a lost race is read again, then the bytes are erased.
 */
export const deleteWithoutCancel: UseCases['deleteUpload'] = (deps, input) => {
  const attempt = (retries: number): ResultAsync<Upload, DomainError> =>
    deps.uow
      .transaction((repos) =>
        repos.uploads.get(input.ownerId, input.uploadId).andThen((upload) => {
          if (!upload) return errAsync(domainError('upload.not_found'));
          return upload.status === 'deleted' ? okAsync(upload) : repos.uploads.update(markDeleted(upload, deps.clock.now()));
        }),
      )
      .orElse((error) => (error.code === 'persistence.conflict' && retries > 0 ? attempt(retries - 1) : errAsync(error)));
  return attempt(5).andThen((upload) =>
    deps.objects.delete(uploadKey(input.ownerId, input.uploadId)).map((): DeletedUpload => {
      const target = { kind: 'object', key: uploadKey(input.ownerId, input.uploadId) } as const;
      const now = deps.clock.now();
      return { upload, canceled: null, erasure: erasureDone(requestErasure({ ownerId: input.ownerId, target, reason: 'upload_deleted', now, holdMs: 0 }), now) };
    }),
  );
};

/**
 * Start-training as it was before the Idempotency-Key race was fixed: a request that loses the
 * race to its own repeat (at the one-active index) is refused as already active instead of being
 * answered the pipeline its repeat made. Memory runs one transaction at a time and never sees it.
 */
export const startWithoutSameKeyRetry: UseCases['startTraining'] = (deps, input) => {
  const key = input.idempotencyKey ?? null;
  return deps.uow
    .transaction((repos) =>
      (key === null ? okAsync(null) : repos.pipelines.findByIdempotencyKey(input.ownerId, key)).andThen((earlier) => {
        if (earlier) return okAsync<StartedTraining, never>({ pipeline: earlier, created: false });
        return repos.pipelines.findActive(input.ownerId).andThen((active) => {
          if (active) return errAsync(domainError('training.already_active'));
          return repos.uploads
            .listByOwner(input.ownerId)
            .andThen((uploads) => trainingSetFrom(input.ownerId, uploads, deps.config.minPhotos))
            .andThen((trainingSet) =>
              repos.pipelines.insert(
                createPipeline({
                  id: trusted<PipelineId>(deps.ids.next()),
                  trainingSet,
                  destination: destinationFor(deps.config.destinationStrategy, input.ownerId),
                  triggerWord: 'TOK',
                  idempotencyKey: key,
                  restartOf: null,
                  now: deps.clock.now(),
                }),
              ),
            )
            .map((pipeline): StartedTraining => ({ pipeline, created: true }));
        });
      }),
    )
    .mapErr((error) => (error.code === 'persistence.conflict' ? domainError('training.already_active', error.detail) : error));
};
