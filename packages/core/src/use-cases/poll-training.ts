import { err, errAsync, ok, okAsync, type ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import type { TrainerReport, TrainingStagePipeline } from '../domain/training-pipeline.js';
import type { Advance } from './advance.js';
import { applyReportTo } from './apply-trainer-report.js';
import type { CoreDeps } from './core-deps.js';
import { settleStep } from './settle-step.js';

/**
 * Our own question to the trainer about the training recorded on `pipeline`, and its answer
 * applied (I5, I6): what completes a pipeline whose webhook was lost. An answer that fails its
 * checks ends the pipeline; transport trouble is retried with the step's backoff.
 */
export function pollTraining(deps: CoreDeps, pipeline: TrainingStagePipeline): ResultAsync<Advance, DomainError> {
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
        (error) => settleStep(deps, pipeline, errAsync(error)).map((saved) => ({ pipeline: saved, progressed: true })),
      ),
    );
}
