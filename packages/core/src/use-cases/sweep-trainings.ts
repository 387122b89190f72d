import { okAsync, type ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import { isRunningAtTrainer } from '../domain/training-pipeline.js';
import type { AwaitedTraining } from '../ports/repositories.js';
import { advancePipeline } from './advance-pipeline.js';
import type { CoreDeps } from './core-deps.js';
import { inBatches } from './in-batches.js';

/** How far before a pipeline's creation its training is looked for: the trainer's clock and ours may disagree. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** Pipelines advanced at once once the listing says their training ended. */
const AT_ONCE = 4;

export interface TrainingSweep {
  /** Pipelines found waiting for the trainer. */
  readonly waiting: number;
  /** Of those, how many the listing named: the rest are polled on their own, less often. */
  readonly listed: number;
  /** Trainings the listing said had ended whose pipeline was advanced (asked about, and the answer applied). */
  readonly advanced: number;
  /** Ended trainings whose pipeline could not be advanced now (another worker moved it, the trainer did not answer). */
  readonly deferred: number;
}

const EMPTY: TrainingSweep = { waiting: 0, listed: 0, advanced: 0, deferred: 0 };

/**
 * The trainer polls batched (issue 16): one listing of the account's recent trainings instead of
 * one question per training waiting. The listing is only a hint of which trainings ended: each
 * of those pipelines is advanced as the worker would (`advancePipeline`), which asks the trainer
 * about the training it recorded and applies that answer (I5, I6), and cleans up once ended. A
 * training the listing did not reach, or still running, changes nothing here.
 */
export function sweepTrainings(deps: CoreDeps, options: { readonly limit: number }): ResultAsync<TrainingSweep, DomainError> {
  return deps.uow
    .transaction((repos) => repos.pipelines.listAwaitingTrainer(options.limit))
    .andThen((awaited): ResultAsync<TrainingSweep, DomainError> => {
      if (awaited.length === 0) return okAsync(EMPTY);
      const oldest = Math.min(...awaited.map((a) => a.pipelineCreatedAt.getTime()));
      return deps.trainer.listRecentTrainings(new Date(oldest - CLOCK_SKEW_MS)).andThen((listing) => {
        const statuses = new Map(listing.map((t) => [t.trainerTrainingId, t.status]));
        const listed = awaited.filter((a) => statuses.has(a.trainerTrainingId));
        const ended = listed.filter((a) => !isRunningAtTrainer(statuses.get(a.trainerTrainingId)!));
        return inBatches(ended, AT_ONCE, (a) => advanceEnded(deps, a)).map((results) => ({
          waiting: awaited.length,
          listed: listed.length,
          advanced: results.filter(Boolean).length,
          deferred: results.filter((done) => !done).length,
        }));
      });
    });
}

/**
 * True once the trainer's answer moved the pipeline on; a transport failure recorded as a retry
 * leaves it waiting, so it is deferred. A failure is not this round's to handle: the pipeline's
 * own poll meets it again and reports it.
 */
function advanceEnded(deps: CoreDeps, awaited: AwaitedTraining): ResultAsync<boolean, never> {
  return advancePipeline(deps, awaited.pipelineId)
    .map((advance) => advance.progressed && advance.pipeline.status !== 'training')
    .orElse(() => okAsync(false));
}
