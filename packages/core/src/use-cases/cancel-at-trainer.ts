import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import { owesCancelAtTrainer, type TerminalPipeline } from '../domain/training-pipeline.js';
import type { CoreDeps } from './core-deps.js';

/**
 * Stops the training of a pipeline that ended (canceled, or failed for a reason of ours: retries
 * exhausted, a refused answer, a provenance refusal) at the trainer. Left running, it would write
 * a version to the owner's destination that no pipeline records, on GPU nobody wants. Without a
 * recorded id a submission may still have been accepted (a refused or lost answer, a race with a
 * cancel): the trainer is asked for it. A failure is logged; a transient one comes back as an
 * error so the caller keeps the clean-up owed and tries again, a final one is not repeated.
 */
export function cancelAtTrainer(deps: CoreDeps, ended: TerminalPipeline): ResultAsync<void, DomainError> {
  if (!owesCancelAtTrainer(ended)) return okAsync(undefined);
  const trainingId: ResultAsync<string | null, DomainError> =
    ended.trainerTrainingId !== null
      ? okAsync(ended.trainerTrainingId)
      : deps.trainer.findSubmission(ended.id).map((found) => found?.trainerTrainingId ?? null);
  return trainingId
    .andThen((id) => (id === null ? okAsync(undefined) : deps.trainer.cancel(id)))
    .orElse((error) => {
      const retried = error.transient === true;
      deps.log.record({
        kind: 'trainer.cancel_failed',
        detail: { pipelineId: ended.id, status: ended.status, code: error.code, detail: error.detail, retried },
      });
      return retried ? errAsync(error) : okAsync(undefined);
    });
}
