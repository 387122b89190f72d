import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { domainError, type DomainError } from '../domain/errors.js';
import type { PipelineId } from '../domain/ids.js';
import { beginVerification, isActive, type TrainingPipeline } from '../domain/training-pipeline.js';
import type { Advance } from './advance.js';
import { buildPackageStep } from './build-package.js';
import { cleanUpEnded } from './clean-up-ended.js';
import type { CoreDeps } from './core-deps.js';
import { pollTraining } from './poll-training.js';
import { savePipeline } from './save-pipeline.js';
import { settleStep, stepOutcome } from './settle-step.js';
import { submitTrainingStep } from './submit-training.js';
import { undoLostStep, type StepSideEffect } from './undo-lost-step.js';
import { verifyPackageStep } from './verify-package.js';
import { verifyUploadsStep } from './verify-uploads.js';

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
        case 'submitting':
          // A training the trainer accepted but whose record lost a race is canceled again.
          return progressed(
            stepOutcome(deps, pipeline, submitTrainingStep(deps, pipeline)).andThen((next) =>
              savePipeline(deps, next).orElse((error) => undoLostStep<TrainingPipeline>(deps, id, trainingAcceptedIn(next), error)),
            ),
          );
        case 'training':
          // The polling fallback: a lost webhook still completes the pipeline.
          return pollTraining(deps, pipeline);
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

/** The trainer's training a step's outcome records, which a lost write must not leave running. */
function trainingAcceptedIn(next: TrainingPipeline): StepSideEffect | null {
  return next.status === 'training' ? { kind: 'training', trainerTrainingId: next.trainerTrainingId } : null;
}

/** Advances until the pipeline waits (for the trainer or a retry time) or is finished and clean. */
export function runPipeline(deps: CoreDeps, id: PipelineId, maxSteps = 16): ResultAsync<TrainingPipeline, DomainError> {
  return advancePipeline(deps, id).andThen((advance) =>
    advance.progressed && maxSteps > 1 ? runPipeline(deps, id, maxSteps - 1) : okAsync(advance.pipeline),
  );
}
