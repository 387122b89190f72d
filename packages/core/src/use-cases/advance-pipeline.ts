import { err, errAsync, ok, okAsync, type ResultAsync } from 'neverthrow';
import { domainError, type DomainError } from '../domain/errors.js';
import type { PipelineId } from '../domain/ids.js';
import { packageKey } from '../domain/training-package.js';
import {
  beginVerification,
  cleanupRetryLater,
  isActive,
  needsCleanup,
  packageDeleted,
  type TerminalPipeline,
  type TrainerReport,
  type TrainingPipeline,
} from '../domain/training-pipeline.js';
import { applyReportTo } from './apply-trainer-report.js';
import { buildPackageStep } from './build-package.js';
import type { CoreDeps } from './core-deps.js';
import { savePipeline } from './save-pipeline.js';
import { settleStep } from './settle-step.js';
import { stopTraining } from './stop-training.js';
import { submitTrainingStep } from './submit-training.js';
import { undoLostStep, type StepSideEffect } from './undo-lost-step.js';
import { verifyPackageStep } from './verify-package.js';
import { verifyUploadsStep } from './verify-uploads.js';

export interface Advance {
  readonly pipeline: TrainingPipeline;
  /** False when there was nothing to do yet: waiting for a retry time, the trainer, or done. */
  readonly progressed: boolean;
}

/**
 * Cleans up after an ended pipeline: stops its training at the trainer when it still owes that
 * (`owesTrainerStop`), then deletes its package (the trainer has consumed it, and it holds the
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
  return stopTraining(deps, pipeline)
    .map((): DomainError | null => null)
    .orElse((stopFailed) => okAsync<DomainError | null, never>(stopFailed))
    .andThen((stopFailed) =>
      deps.objects
        .delete(packageKey(pipeline.ownerId, pipeline.id))
        .andThen(() => (stopFailed === null ? okAsync(undefined) : errAsync(stopFailed)))
        .orElse((failed) => cleanupFailed(deps, pipeline, failed)),
    )
    .andThen(() => savePipeline(deps, packageDeleted(pipeline, deps.clock.now())))
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
 * Runs the next step of one pipeline, once, and persists its outcome. Every step re-reads its
 * inputs and is safe to repeat; a lost race surfaces as `persistence.conflict`.
 */
export function advancePipeline(deps: CoreDeps, id: PipelineId): ResultAsync<Advance, DomainError> {
  return deps.uow
    .transaction((repos) => repos.pipelines.getById(id))
    .andThen((pipeline): ResultAsync<Advance, DomainError> => {
      if (!pipeline) return errAsync(domainError('training.not_found', `pipeline ${id}`));
      // An ended pipeline has no step left; its clean-up (trainer, package) happens below, as for one ending now.
      if (!isActive(pipeline)) return okAsync({ pipeline, progressed: false });
      const now = deps.clock.now();
      if (pipeline.retry.notBefore !== null && pipeline.retry.notBefore > now) {
        return okAsync({ pipeline, progressed: false });
      }
      const progressed = (next: ResultAsync<TrainingPipeline, DomainError>) =>
        next.map((saved) => ({ pipeline: saved, progressed: true }));
      switch (pipeline.status) {
        case 'queued':
          return progressed(savePipeline(deps, beginVerification(pipeline, now)));
        case 'verifying_uploads':
          return progressed(settleStep(deps, pipeline, verifyUploadsStep(deps, pipeline)));
        case 'packaging':
          return progressed(
            settleStep(deps, pipeline, buildPackageStep(deps, pipeline)).orElse((error) =>
              undoLostStep<TrainingPipeline>(deps, id, { kind: 'package' }, error),
            ),
          );
        case 'verifying_package':
          return progressed(settleStep(deps, pipeline, verifyPackageStep(deps, pipeline)));
        case 'submitting': {
          let accepted: StepSideEffect | null = null;
          const step = submitTrainingStep(deps, pipeline).map((next) => {
            accepted = { kind: 'training', trainerTrainingId: next.trainerTrainingId };
            return next;
          });
          return progressed(
            settleStep(deps, pipeline, step).orElse((error) => undoLostStep<TrainingPipeline>(deps, id, accepted, error)),
          );
        }
        case 'training':
          // The polling fallback: a lost webhook still completes the pipeline.
          return deps.trainer
            .get(pipeline.trainerTrainingId)
            .map((report) => ok<TrainerReport, DomainError>(report))
            .orElse((error) => okAsync(err<TrainerReport, DomainError>(error)))
            .andThen((answer) =>
              answer.match(
                (report) =>
                  applyReportTo(deps, pipeline, report, 'poll').map((outcome) => ({
                    pipeline: outcome.pipeline,
                    progressed: outcome.kind === 'applied',
                  })),
                // An unreadable answer ends the pipeline; transport trouble is retried.
                (error) => progressed(settleStep(deps, pipeline, errAsync(error))),
              ),
            );
      }
    })
    .andThen((advance) =>
      isActive(advance.pipeline)
        ? okAsync(advance)
        : cleanUpEnded(deps, advance.pipeline).map((cleaned) => ({
            pipeline: cleaned.pipeline,
            progressed: advance.progressed || cleaned.progressed,
          })),
    );
}

/** Advances until the pipeline waits (for the trainer or a retry time) or is finished and clean. */
export function runPipeline(deps: CoreDeps, id: PipelineId, maxSteps = 16): ResultAsync<TrainingPipeline, DomainError> {
  return advancePipeline(deps, id).andThen((advance) =>
    advance.progressed && maxSteps > 1 ? runPipeline(deps, id, maxSteps - 1) : okAsync(advance.pipeline),
  );
}
