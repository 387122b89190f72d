import type { ResultAsync } from 'neverthrow';
import type { Destination } from '../domain/destination.js';
import type { DomainError } from '../domain/errors.js';
import type { PipelineId } from '../domain/ids.js';
import type { TrainerReport } from '../domain/training-pipeline.js';

export interface Submission {
  readonly pipelineId: PipelineId;
  readonly destination: Destination;
  /** Time-limited GET URL of this pipeline's package, and nothing else (I4). */
  readonly inputUrl: string;
  readonly triggerWord: string;
}

/** `trainer.invalid_response`: the answer failed its schema; nothing in it can be trusted. */
export type TrainerError = DomainError<'trainer.unavailable' | 'trainer.rejected' | 'trainer.invalid_response'>;

export interface Trainer {
  /** Creates the destination model when missing, then the training. */
  submit(submission: Submission): ResultAsync<TrainerReport, TrainerError>;
  /**
   * A training this pipeline already submitted, if any: closes the gap between the trainer
   * accepting a training and our database recording it (a crash there must not orphan it).
   */
  findSubmission(pipelineId: PipelineId): ResultAsync<TrainerReport | null, TrainerError>;
  get(trainerTrainingId: string): ResultAsync<TrainerReport, TrainerError>;
  cancel(trainerTrainingId: string): ResultAsync<void, TrainerError>;
}
