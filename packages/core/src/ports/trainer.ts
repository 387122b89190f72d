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

/**
 * `trainer.deletion_refused`: the trainer will not delete it and asking again will not change
 * that (Replicate: a version someone else ran or a training uses as its base, a model that is
 * not private or still holds versions). Final: the erasure reports it for an operator.
 */
export type TrainerDeletionError = TrainerError | DomainError<'trainer.deletion_refused'>;

/** What erasing an owner needs at the trainer. Deleting what is not there succeeds. */
export interface TrainerErasure {
  /** Deletes one version, `owner/name:id`. */
  deleteVersion(version: string): ResultAsync<void, TrainerDeletionError>;
  /** Deletes a destination model, which must hold no version any more. */
  deleteModel(destination: Destination): ResultAsync<void, TrainerDeletionError>;
}

/** A version found at a destination on the trainer, for the audit. */
export interface TrainerVersion {
  /** `owner/name:id`, the form pipelines record as `modelVersion`. */
  readonly version: string;
  readonly createdAt: Date | null;
}

/** A training as the trainer lists it, for the audit. */
export interface TrainerTraining {
  readonly trainerTrainingId: string;
  /** The destination the trainer names for it, or null when its answer does not say. */
  readonly destination: Destination | null;
  /** The webhook URL it reports to, or null. */
  readonly webhook: string | null;
  readonly status: TrainerReport['status'];
  readonly outputVersion: string | null;
  readonly createdAt: Date | null;
  /**
   * The pipeline it was submitted for, read from it the way `findSubmission` recognises a
   * pipeline's submission (the pipeline id in its input's package key); null when it names none.
   * Said by the training, not proven: the audit matches it against recorded pipelines.
   */
  readonly pipelineId: PipelineId | null;
}

/**
 * What exists at the trainer, whatever our database says: the audit reconciles the two. A
 * listing that cannot be read completely is an error, never a shorter list.
 */
export interface TrainerInventory {
  /** Every version at a destination; none when the destination model does not exist. */
  listVersions(destination: Destination): ResultAsync<readonly TrainerVersion[], TrainerError>;
  /** Every training of the account the trainer still lists. */
  listTrainings(): ResultAsync<readonly TrainerTraining[], TrainerError>;
  /**
   * The account's most recent trainings, newest first: read page by page until the trainings
   * listed are older than `since` or a bound on pages is reached. A hint for the poll sweep
   * (`sweepTrainings`), not an inventory: it may stop short, and holds older trainings of the
   * last page read. Each one it names is still asked about on its own before anything is applied.
   */
  listRecentTrainings(since: Date): ResultAsync<readonly TrainerTraining[], TrainerError>;
}
