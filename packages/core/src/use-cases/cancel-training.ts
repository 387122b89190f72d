import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { domainError, type DomainError } from '../domain/errors.js';
import type { OwnerId, PipelineId } from '../domain/ids.js';
import { cancelPipeline, isActive, type EndedPipeline } from '../domain/training-pipeline.js';
import { cleanUpEnded } from './advance-pipeline.js';
import type { CoreDeps } from './core-deps.js';
import { retryOnConflict } from './retry-on-conflict.js';

/** Each step is one short write, so a few re-reads outlast any run of them. */
const CANCEL_RETRIES = 5;

/**
 * After a pipeline is canceled in the database: stop its training at the trainer and delete its
 * package (`cleanUpEnded`). Both are best effort: the record already says canceled, so a late
 * result makes no model (I5), and the worker retries what is left (logged here).
 */
export function stopCanceled(deps: CoreDeps, canceled: EndedPipeline): ResultAsync<EndedPipeline, never> {
  return cleanUpEnded(deps, canceled)
    .map(() => canceled)
    .orElse((error) => {
      deps.log.record({ kind: 'pipeline.cleanup_deferred', detail: { pipelineId: canceled.id, code: error.code } });
      return okAsync(canceled);
    });
}

export function cancelTraining(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly pipelineId: PipelineId },
): ResultAsync<EndedPipeline, DomainError> {
  // A step the worker commits between our read and our write makes the write stale: read again.
  return retryOnConflict(CANCEL_RETRIES, () =>
    deps.uow.transaction((repos) =>
      repos.pipelines.get(input.ownerId, input.pipelineId).andThen((pipeline) => {
        if (!pipeline) return errAsync(domainError('training.not_found', `pipeline ${input.pipelineId}`));
        if (!isActive(pipeline)) return errAsync(domainError('training.already_finished', `pipeline is ${pipeline.status}`));
        return repos.pipelines.update(cancelPipeline(pipeline, 'training.canceled_by_owner', deps.clock.now()));
      }),
    ),
  ).andThen((canceled) => stopCanceled(deps, canceled as EndedPipeline));
}
