import { errAsync, type ResultAsync } from 'neverthrow';
import { domainError, type DomainError } from '../domain/errors.js';
import type { OwnerId, PipelineId } from '../domain/ids.js';
import type { TrainingPipeline } from '../domain/training-pipeline.js';
import type { CoreDeps } from './core-deps.js';
import { activeConflict, createOwnersPipeline } from './start-training.js';

/**
 * A failed or canceled pipeline stays as it ended. Restarting creates a new pipeline over the
 * owner's current photos that verifies everything again (new package, new submission).
 */
export function restartTraining(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly pipelineId: PipelineId },
): ResultAsync<TrainingPipeline, DomainError> {
  return activeConflict(
    deps.uow.transaction((repos) =>
      repos.pipelines.get(input.ownerId, input.pipelineId).andThen((previous) => {
        if (!previous) return errAsync(domainError('training.not_found', `pipeline ${input.pipelineId}`));
        if (previous.status !== 'failed' && previous.status !== 'canceled') {
          return errAsync(domainError('training.not_restartable', `pipeline is ${previous.status}`));
        }
        return createOwnersPipeline(deps, repos, {
          ownerId: input.ownerId,
          triggerWord: previous.triggerWord,
          idempotencyKey: null,
          restartOf: previous.id,
        });
      }),
    ),
  );
}
