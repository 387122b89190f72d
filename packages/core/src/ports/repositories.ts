import type { ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import type { Erasure } from '../domain/erasure.js';
import type { ModelId, OwnerId, PipelineId, Sha256, UploadId } from '../domain/ids.js';
import type { Model } from '../domain/model.js';
import type { PendingUpload } from '../domain/pending-upload.js';
import type { StoredUsage } from '../domain/quotas.js';
import type { TrainingPipeline } from '../domain/training-pipeline.js';
import type { Upload } from '../domain/upload.js';

/**
 * `persistence.conflict`: a stale revision or a uniqueness rule (one active pipeline per owner,
 * one stored upload per owner and SHA-256) refused the write; nothing was changed.
 * `persistence.constraint`: the storage refused a row that breaks an integrity rule (I1, I6, I7).
 * `persistence.corrupt`: a stored row no longer reads as what it should be (changed out of band).
 */
export type PersistenceError = DomainError<'persistence.conflict' | 'persistence.constraint' | 'persistence.corrupt' | 'persistence.unavailable'>;

type Stored<T> = ResultAsync<T, PersistenceError>;

/** Writes take the entity as read (its `revision`) and return it at its new revision. */
export interface Uploads {
  get(ownerId: OwnerId, id: UploadId): Stored<Upload | null>;
  /** The owner's stored (not deleted) upload with these stored (normalised) bytes, if any. */
  findStoredBySha256(ownerId: OwnerId, sha256: Sha256): Stored<Upload | null>;
  /** The owner's stored (not deleted) upload made from these bytes as the client sent them, if any (dedup). */
  findStoredBySourceSha256(ownerId: OwnerId, sourceSha256: Sha256): Stored<Upload | null>;
  listByOwner(ownerId: OwnerId, options?: { includeDeleted?: boolean }): Stored<readonly Upload[]>;
  /** How many stored (not deleted) uploads the owner has and their bytes: the storage quota's measure. */
  storedUsage(ownerId: OwnerId): Stored<StoredUsage>;
  /** For the audit, which acts for no particular owner: whoever's upload has this id (a model may name another owner's). */
  getById(id: UploadId): Stored<Upload | null>;
  /**
   * The owner's stored uploads, as `listByOwner`, held until the transaction ends: a delete
   * running meanwhile either committed first (its photo is not listed) or waits, then finds
   * the pipeline built from them and cancels it. For making a training set only.
   */
  listStoredForTraining(ownerId: OwnerId): Stored<readonly Upload[]>;
  /**
   * For photo retention, across owners: up to `limit` stored uploads in the training set of a
   * training that succeeded (its model was made) at or before `succeededBy`, leaving out any in
   * an active training's set (erased once that training ends); oldest first.
   */
  listPastRetention(request: { readonly succeededBy: Date; readonly limit: number }): Stored<readonly Upload[]>;
  insert(upload: Upload): Stored<Upload>;
  update(upload: Upload): Stored<Upload>;
}

export interface Pipelines {
  get(ownerId: OwnerId, id: PipelineId): Stored<TrainingPipeline | null>;
  /** For the worker, which acts for no particular owner. */
  getById(id: PipelineId): Stored<TrainingPipeline | null>;
  findActive(ownerId: OwnerId): Stored<TrainingPipeline | null>;
  findByIdempotencyKey(ownerId: OwnerId, key: string): Stored<TrainingPipeline | null>;
  findByTrainerTrainingId(trainerTrainingId: string): Stored<TrainingPipeline | null>;
  listByOwner(ownerId: OwnerId): Stored<readonly TrainingPipeline[]>;
  /** Active pipelines, and ended ones whose package still awaits deletion. */
  listUnfinished(): Stored<readonly PipelineId[]>;
  /** Up to `limit` pipelines waiting for their training at the trainer, newest first: what the poll sweep looks for. */
  listAwaitingTrainer(limit: number): Stored<readonly AwaitedTraining[]>;
  insert(pipeline: TrainingPipeline): Stored<TrainingPipeline>;
  /** Answers the pipeline as written, one revision on: the same state type the caller gave. */
  update<P extends TrainingPipeline>(pipeline: P): Stored<P>;
}

/** A pipeline in `training`, as the poll sweep needs it (not the whole aggregate). */
export interface AwaitedTraining {
  readonly pipelineId: PipelineId;
  readonly trainerTrainingId: string;
  /** The training was created at the trainer after this. */
  readonly pipelineCreatedAt: Date;
}

export interface Models {
  /** For the operator (audit, quarantine), who acts for no particular owner. */
  getById(id: ModelId): Stored<Model | null>;
  listByOwner(ownerId: OwnerId): Stored<readonly Model[]>;
  findByPipeline(pipelineId: PipelineId): Stored<Model | null>;
  insert(model: Model): Stored<Model>;
  update(model: Model): Stored<Model>;
}

/** Webhook deliveries already handled, so a redelivery of the same `webhook-id` is a no-op. */
export interface WebhookDeliveries {
  /** Whether this delivery id was already handled. */
  seen(deliveryId: string): Stored<boolean>;
  /** True the first time a delivery id is recorded; false for a redelivery. */
  recordOnce(deliveryId: string, receivedAt: Date): Stored<boolean>;
  /** Forgets deliveries received before `cutoff`; how many were forgotten. */
  pruneReceivedBefore(cutoff: Date): Stored<number>;
}

/** Everyone the database knows of, for the audit: owners of any upload, pipeline or model. */
export interface Owners {
  /** Distinct owner ids, in id order. */
  listKnown(): Stored<readonly OwnerId[]>;
  /**
   * One page of `listKnown`: up to `limit` owner ids after `after` (from the first when null), in
   * the same order, so the audit reads owners a batch at a time. Fewer than `limit`: the last page.
   */
  listKnownAfter(after: OwnerId | null, limit: number): Stored<readonly OwnerId[]>;
}

/**
 * Erasures owed (photo bytes, an erased owner's objects and trainer versions), one per target
 * (`erasureRef`). Recorded in the transaction that decides the erasure, so it cannot be lost.
 */
export interface Erasures {
  /**
   * Records an erasure as owed. One already pending for the same target is kept as it is; a
   * finished one (done or refused) is owed again, from scratch. Returns the stored erasure.
   */
  request(erasure: Erasure): Stored<Erasure>;
  /**
   * Up to `limit` pending erasures due at `now` (no `notBefore`, or one passed), oldest due
   * first, each held until `until` for the caller, so several workers never carry out the same
   * one at once, and one whose carrier died is due again after `until`.
   */
  claimDue(request: { readonly now: Date; readonly until: Date; readonly limit: number }): Stored<readonly Erasure[]>;
  /** Records the outcome of a try. One that is no longer pending (finished meanwhile) stays as it is. */
  settle(erasure: Erasure): Stored<void>;
  listByOwner(ownerId: OwnerId): Stored<readonly Erasure[]>;
}

/**
 * Presigned upload slots handed out and not yet completed, so the open ones count against the
 * owner's quota (a slot is otherwise only a signed URL, recorded nowhere). A row goes when its
 * upload is completed or refused, or by housekeeping once expired.
 */
export interface UploadSlots {
  record(slot: { readonly ownerId: OwnerId; readonly uploadId: UploadId; readonly expiresAt: Date }): Stored<void>;
  /** When each of the owner's open (unexpired at `now`) slots expires, soonest first. */
  listOpenExpiries(ownerId: OwnerId, now: Date): Stored<readonly Date[]>;
  /** Forgets a slot whose upload was completed or refused (none recorded: nothing happens). */
  close(ownerId: OwnerId, uploadId: UploadId): Stored<void>;
  /** Forgets slots that expired before `cutoff`; how many were forgotten. */
  pruneExpiredBefore(cutoff: Date): Stored<number>;
}

/**
 * Photos received and not yet judged (`checking`), or refused after the answer (issue 11 point
 * 4). Keyed by the upload id they are answered with; a stored photo leaves this table in the
 * transaction that inserts its `Upload`.
 */
export interface PendingUploads {
  get(ownerId: OwnerId, id: UploadId): Stored<PendingUpload | null>;
  /** The owner's photo still checking that was sent as these bytes, if any (dedup). */
  findCheckingBySourceSha256(ownerId: OwnerId, sourceSha256: Sha256): Stored<PendingUpload | null>;
  /** Checking and refused, oldest first. */
  listByOwner(ownerId: OwnerId): Stored<readonly PendingUpload[]>;
  /** How many of the owner's photos are checking and their bytes as sent, leaving out `except`. */
  checkingUsage(ownerId: OwnerId, except: UploadId | null): Stored<StoredUsage>;
  /** `persistence.conflict` when the id exists, or the owner has these bytes checking already. */
  insert(pending: PendingUpload): Stored<PendingUpload>;
  update(pending: PendingUpload): Stored<PendingUpload>;
  /** Removes the row at the revision the caller read; `persistence.conflict` when it is gone or changed. */
  remove(pending: PendingUpload): Stored<void>;
  /** Every row of the owner (an erasure); how many. */
  removeByOwner(ownerId: OwnerId): Stored<number>;
  /**
   * Up to `limit` checking rows due at `now` (no `notBefore`, or one passed), oldest first, each
   * held until `until` (`notBefore` set, one revision on), so two workers never check the same one.
   */
  claimDue(request: { readonly now: Date; readonly until: Date; readonly limit: number }): Stored<readonly PendingUpload[]>;
  /** Forgets refused rows settled before `cutoff`; how many. */
  pruneRefusedBefore(cutoff: Date): Stored<number>;
}

export interface Repositories {
  readonly owners: Owners;
  readonly uploads: Uploads;
  readonly pendingUploads: PendingUploads;
  readonly pipelines: Pipelines;
  readonly models: Models;
  readonly webhookDeliveries: WebhookDeliveries;
  readonly erasures: Erasures;
  readonly uploadSlots: UploadSlots;
}

/** Runs work atomically: every write inside commits together, or none does. */
export interface UnitOfWork {
  transaction<T, E>(work: (repositories: Repositories) => ResultAsync<T, E>): ResultAsync<T, E | PersistenceError>;
}
