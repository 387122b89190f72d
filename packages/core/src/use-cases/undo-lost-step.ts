import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import type { PipelineId } from '../domain/ids.js';
import { packageKey } from '../domain/training-package.js';
import { isActive } from '../domain/training-pipeline.js';
import type { CoreDeps } from './core-deps.js';

export type StepSideEffect =
  | { readonly kind: 'package' }
  | { readonly kind: 'training'; readonly trainerTrainingId: string };

/**
 * A step whose outcome could not be saved because the pipeline moved on meanwhile (canceled,
 * or advanced by another worker) must not leave its side effect behind: a ZIP of the owner's
 * photos for an ended pipeline, or an accepted training that no pipeline records. Best effort;
 * failures are logged for the audit. The original error is passed on.
 */
export function undoLostStep<T>(
  deps: CoreDeps,
  id: PipelineId,
  effect: StepSideEffect | null,
  error: DomainError,
): ResultAsync<T, DomainError> {
  if (error.code !== 'persistence.conflict' || effect === null) return errAsync(error);
  const logFailure = (undo: DomainError) => {
    deps.log.record({ kind: 'pipeline.undo_failed', detail: { pipelineId: id, effect: effect.kind, code: undo.code } });
    return okAsync(undefined);
  };
  return deps.uow
    .transaction((repos) => repos.pipelines.getById(id))
    .andThen((now): ResultAsync<void, DomainError> => {
      if (!now) return okAsync(undefined);
      if (effect.kind === 'package') {
        return isActive(now) ? okAsync(undefined) : deps.objects.delete(packageKey(now.ownerId, now.id));
      }
      const recorded = 'trainerTrainingId' in now ? now.trainerTrainingId : null;
      const orphaned = !isActive(now) || (recorded !== null && recorded !== effect.trainerTrainingId);
      return orphaned ? deps.trainer.cancel(effect.trainerTrainingId) : okAsync(undefined);
    })
    .orElse(logFailure)
    .andThen(() => errAsync(error));
}
