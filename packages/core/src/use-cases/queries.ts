import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { Erasure } from '../domain/erasure.js';
import { domainError, type DomainError } from '../domain/errors.js';
import type { OwnerId, PipelineId } from '../domain/ids.js';
import type { Model } from '../domain/model.js';
import type { PendingUpload } from '../domain/pending-upload.js';
import type { TrainingPipeline } from '../domain/training-pipeline.js';
import type { Upload } from '../domain/upload.js';
import type { CoreDeps } from './core-deps.js';

// Reads are scoped by owner: another owner's resource is simply not found.

export function listUploads(deps: CoreDeps, ownerId: OwnerId): ResultAsync<readonly Upload[], DomainError> {
  return deps.uow.transaction((repos) => repos.uploads.listByOwner(ownerId));
}

/**
 * The owner's stored photos and those received and still checking or refused, as one answer,
 * each photo once. Pending rows are read first: a check stores its photo and removes its
 * pending row in one commit, so a photo missing from the pending rows read is among the uploads
 * read after them (each statement sees the commits before it); read the other way, a photo
 * could be in neither. A photo stored between the two reads is in both: it is stored (the
 * pending row and the upload share the id), so its pending row is dropped.
 */
export function listOwnerPhotos(
  deps: CoreDeps,
  ownerId: OwnerId,
): ResultAsync<{ readonly uploads: readonly Upload[]; readonly pending: readonly PendingUpload[] }, DomainError> {
  return deps.uow.transaction((repos) =>
    repos.pendingUploads.listByOwner(ownerId).andThen((pending) =>
      repos.uploads.listByOwner(ownerId).map((uploads) => {
        const stored = new Set<string>(uploads.map((u) => u.id));
        return { uploads, pending: pending.filter((p) => !stored.has(p.id)) };
      }),
    ),
  );
}

export function listTrainings(deps: CoreDeps, ownerId: OwnerId): ResultAsync<readonly TrainingPipeline[], DomainError> {
  return deps.uow.transaction((repos) => repos.pipelines.listByOwner(ownerId));
}

export function getTraining(
  deps: CoreDeps,
  ownerId: OwnerId,
  pipelineId: PipelineId,
): ResultAsync<{ pipeline: TrainingPipeline; model: Model | null }, DomainError> {
  return deps.uow.transaction((repos) =>
    repos.pipelines.get(ownerId, pipelineId).andThen((pipeline) =>
      pipeline
        ? repos.models.findByPipeline(pipeline.id).map((model) => ({ pipeline, model: model?.status === 'active' ? model : null }))
        : errAsync(domainError('training.not_found', `pipeline ${pipelineId}`)),
    ),
  );
}

/** The owner's usable models: quarantined ones are never served. */
export function listModels(deps: CoreDeps, ownerId: OwnerId): ResultAsync<readonly Model[], DomainError> {
  return deps.uow
    .transaction((repos) => repos.pipelines.listByOwner(ownerId).andThen((pipelines) =>
      repos.models.listByOwner(ownerId).map((models) => ({ pipelines, models })),
    ))
    .andThen(({ pipelines, models }) => {
      // Defence in depth for I6: a model is served only with its owner's succeeded pipeline behind it.
      const succeeded = new Set(pipelines.filter((p) => p.status === 'succeeded').map((p) => p.id));
      return okAsync(models.filter((model) => model.status === 'active' && model.ownerId === ownerId && succeeded.has(model.pipelineId)));
    });
}

/** Every erasure recorded for the owner (owed, done or refused): the operator's view of an erasure. */
export function listErasures(deps: CoreDeps, ownerId: OwnerId): ResultAsync<readonly Erasure[], DomainError> {
  return deps.uow.transaction((repos) => repos.erasures.listByOwner(ownerId));
}
