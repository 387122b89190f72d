import { errAsync, type ResultAsync } from 'neverthrow';
import { domainError, type DomainError } from '../domain/errors.js';
import type { OwnerId, PipelineId } from '../domain/ids.js';
import { cancelPipeline, isActive, type FailedOrCanceledPipeline } from '../domain/training-pipeline.js';
import { tryCleanUpNow } from './clean-up-ended.js';
import type { CoreDeps } from './core-deps.js';
import { retryOnConflict } from './retry-on-conflict.js';

/** Each step is one short write, so a few re-reads outlast any run of them. */
const CANCEL_RETRIES = 5;

export function cancelTraining(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly pipelineId: PipelineId },
): ResultAsync<FailedOrCanceledPipeline, DomainError> {
  // A step the worker commits between our read and our write makes the write stale: read again.
  return retryOnConflict(CANCEL_RETRIES, () =>
    deps.uow.transaction((repos) =>
      repos.pipelines.get(input.ownerId, input.pipelineId).andThen((pipeline) => {
        if (!pipeline) return errAsync(domainError('training.not_found', `pipeline ${input.pipelineId}`));
        if (!isActive(pipeline)) return errAsync(domainError('training.already_finished', `pipeline is ${pipeline.status}`));
        return repos.pipelines.update(cancelPipeline(pipeline, 'training.canceled_by_owner', deps.clock.now()));
      }),
    ),
  ).andThen((canceled) => tryCleanUpNow(deps, canceled));
}
