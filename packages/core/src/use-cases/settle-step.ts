import { okAsync, type ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import {
  failPipeline,
  retryLater,
  type ActivePipeline,
  type TrainingPipeline,
} from '../domain/training-pipeline.js';
import type { PersistenceError } from '../ports/repositories.js';
import type { CoreDeps } from './core-deps.js';
import { savePipeline } from './save-pipeline.js';

/**
 * What one step of `pipeline` leaves to save: its verified outcome; on a transient failure, a
 * retry with backoff (bounded); on any other failure, the pipeline ended with a user-facing reason.
 */
export function stepOutcome(
  deps: CoreDeps,
  pipeline: ActivePipeline,
  outcome: ResultAsync<TrainingPipeline, DomainError>,
): ResultAsync<TrainingPipeline, never> {
  return outcome.orElse((error) => {
    const now = deps.clock.now();
    const retryAfterMs = error.retryAfterSeconds === undefined ? undefined : error.retryAfterSeconds * 1000;
    const next = error.transient ? retryLater(pipeline, deps.config.retryPolicy, now, retryAfterMs) : failPipeline(pipeline, error, now);
    deps.log.record({
      kind: error.transient ? 'pipeline.step_retry' : 'pipeline.step_failed',
      detail: { pipelineId: pipeline.id, status: pipeline.status, code: error.code, detail: error.detail, retryAfterSeconds: error.retryAfterSeconds },
    });
    return okAsync<TrainingPipeline, never>(next);
  });
}

/** Ends one step of `pipeline` and persists it: a step's outcome counts only once this write is confirmed (I7). */
export function settleStep(
  deps: CoreDeps,
  pipeline: ActivePipeline,
  outcome: ResultAsync<TrainingPipeline, DomainError>,
): ResultAsync<TrainingPipeline, PersistenceError> {
  return stepOutcome(deps, pipeline, outcome).andThen((next) => savePipeline(deps, next));
}
