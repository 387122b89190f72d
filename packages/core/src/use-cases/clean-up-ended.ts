import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import { packageKey } from '../domain/training-package.js';
import {
  cleanupRetryLater,
  cleanUpDone,
  isActive,
  needsCleanup,
  type FailedOrCanceledPipeline,
  type TerminalPipeline,
  type TrainingPipeline,
} from '../domain/training-pipeline.js';
import type { Advance } from './advance.js';
import { cancelAtTrainer } from './cancel-at-trainer.js';
import type { CoreDeps } from './core-deps.js';
import { savePipeline } from './save-pipeline.js';

/**
 * Cleans up after an ended pipeline: stops its training at the trainer when it still owes that
 * (`owesCancelAtTrainer`), then deletes its package (the trainer has consumed it, and it holds the
 * owner's photos). A trainer that cannot be reached now does not hold up deleting the photos,
 * but the clean-up is recorded as done (`packageDeletedAt`) only once both are, so the pipeline
 * stays unfinished and the worker comes back to stop the training. A failed try is recorded as a
 * backoff (`cleanupRetryLater`): until its `retry.notBefore` the clean-up is not tried again, so
 * a trainer answering 429 is not asked again every poll interval. Nothing bounds those returns:
 * a clean-up owed for longer than the audit's `stuckAfterMs` is reported as `pipeline.stuck`
 * (with what it `owes`), which is how an operator learns of a trainer that will not cancel.
 */
export function cleanUpEnded(deps: CoreDeps, pipeline: TrainingPipeline): ResultAsync<Advance, DomainError> {
  if (isActive(pipeline) || !needsCleanup(pipeline)) return okAsync({ pipeline, progressed: false });
  if (pipeline.retry.notBefore !== null && pipeline.retry.notBefore > deps.clock.now()) {
    return okAsync({ pipeline, progressed: false });
  }
  return cancelAtTrainer(deps, pipeline)
    .map((): DomainError | null => null)
    .orElse((stopFailed) => okAsync<DomainError | null, never>(stopFailed))
    .andThen((stopFailed) =>
      deps.objects
        .delete(packageKey(pipeline.ownerId, pipeline.id))
        .andThen(() => (stopFailed === null ? okAsync(undefined) : errAsync(stopFailed)))
        .orElse((failed) => cleanupFailed(deps, pipeline, failed)),
    )
    .andThen(() => savePipeline(deps, cleanUpDone(pipeline, deps.clock.now())))
    .map((saved) => ({ pipeline: saved, progressed: true }));
}

/**
 * Records the backoff of a failed clean-up and answers the failure, for the caller to report.
 * The write is revision-checked; a conflict is harmless (someone else moved the pipeline: the
 * next read sees their write), and neither it nor any other refused write hides the failure.
 */
function cleanupFailed(deps: CoreDeps, pipeline: TerminalPipeline, failed: DomainError): ResultAsync<never, DomainError> {
  const next = cleanupRetryLater(pipeline, deps.config.retryPolicy, deps.clock.now());
  deps.log.record({
    kind: 'pipeline.cleanup_retry',
    detail: {
      pipelineId: pipeline.id,
      status: pipeline.status,
      code: failed.code,
      detail: failed.detail,
      attempt: next.retry.attempt,
      notBefore: next.retry.notBefore,
    },
  });
  return savePipeline(deps, next)
    .map(() => undefined)
    .orElse(() => okAsync(undefined))
    .andThen(() => errAsync(failed));
}

/**
 * Right after a pipeline is canceled or failed by a request (not by the worker): its clean-up at
 * once (`cleanUpEnded`), best effort. The record already says how it ended, so a late trainer
 * result makes no model (I5), and the worker carries out what is left (logged here).
 */
export function tryCleanUpNow(deps: CoreDeps, ended: FailedOrCanceledPipeline): ResultAsync<FailedOrCanceledPipeline, never> {
  return cleanUpEnded(deps, ended)
    .map(() => ended)
    .orElse((error) => {
      deps.log.record({ kind: 'pipeline.cleanup_deferred', detail: { pipelineId: ended.id, code: error.code } });
      return okAsync(ended);
    });
}
