import type { TrainingPipeline } from '../domain/training-pipeline.js';

/** What one call to advance a pipeline did. */
export interface Advance {
  readonly pipeline: TrainingPipeline;
  /** False when there was nothing to do yet: waiting for a retry time, the trainer, or done. */
  readonly progressed: boolean;
}
