import { err, ok, type Result } from 'neverthrow';
import { domainError, errorMessages, type DomainError, type ErrorCode } from './errors.js';
import { contradicts, destinationRef, parseVersion, sameDestination, type Destination } from './destination.js';
import type { ModelId, OwnerId, PipelineId } from './ids.js';
import type { Model } from './model.js';
import { restoreModel } from './rehydrate.js';
import type { PackageFacts, VerifiedPackage } from './training-package.js';
import type { TrainingSet } from './training-set.js';
import type { UploadEvidence, VerifiedUploads } from './upload-verification.js';

export const PIPELINE_STATUSES = [
  'queued',
  'verifying_uploads',
  'packaging',
  'verifying_package',
  'submitting',
  'training',
  'succeeded',
  'failed',
  'canceled',
] as const;
export type PipelineStatus = (typeof PIPELINE_STATUSES)[number];
export type TerminalStatus = 'succeeded' | 'failed' | 'canceled';
export type ActiveStatus = Exclude<PipelineStatus, TerminalStatus>;

export function isTerminalStatus(status: PipelineStatus): status is TerminalStatus {
  return status === 'succeeded' || status === 'failed' || status === 'canceled';
}

/** The only edges a pipeline may move along (I7). Storage adapters re-check them on write. */
export const ALLOWED_TRANSITIONS: Readonly<Record<PipelineStatus, readonly PipelineStatus[]>> = {
  queued: ['verifying_uploads', 'failed', 'canceled'],
  verifying_uploads: ['packaging', 'failed', 'canceled'],
  packaging: ['verifying_package', 'failed', 'canceled'],
  verifying_package: ['submitting', 'failed', 'canceled'],
  submitting: ['training', 'failed', 'canceled'],
  training: ['succeeded', 'failed', 'canceled'],
  succeeded: [],
  failed: [],
  canceled: [],
};

export function isAllowedTransition(from: PipelineStatus, to: PipelineStatus): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

export type StepName = 'verify_uploads' | 'package' | 'verify_package' | 'submit' | 'train';

export type StepEvidence =
  | { readonly step: 'verify_uploads'; readonly uploads: readonly UploadEvidence[] }
  | { readonly step: 'package'; readonly key: string; readonly sha256: string; readonly byteSize: number; readonly entries: number }
  | { readonly step: 'verify_package'; readonly sha256: string; readonly entries: PackageFacts['entries'] }
  | { readonly step: 'submit'; readonly trainerTrainingId: string; readonly destination: string }
  | { readonly step: 'train'; readonly version: string };

export interface StepRecord {
  readonly name: StepName;
  readonly status: 'running' | 'succeeded' | 'failed' | 'canceled';
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly evidence: StepEvidence | null;
}

export interface Failure {
  readonly step: StepName;
  readonly code: ErrorCode;
  /** Written for the end user. */
  readonly message: string;
}

export interface RetryState {
  /** Transient failures of the current step so far. */
  readonly attempt: number;
  readonly notBefore: Date | null;
}

interface PipelineCommon {
  readonly id: PipelineId;
  readonly ownerId: OwnerId;
  /** Optimistic concurrency: the revision this copy was read at; a stale write is refused. */
  readonly revision: number;
  readonly trainingSet: TrainingSet;
  readonly destination: Destination;
  readonly triggerWord: string;
  readonly idempotencyKey: string | null;
  readonly restartOf: PipelineId | null;
  readonly steps: readonly StepRecord[];
  readonly retry: RetryState;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface QueuedPipeline extends PipelineCommon {
  readonly status: 'queued';
}
export interface VerifyingUploadsPipeline extends PipelineCommon {
  readonly status: 'verifying_uploads';
}
export interface PackagingPipeline extends PipelineCommon {
  readonly status: 'packaging';
  readonly uploads: VerifiedUploads;
}
export interface VerifyingPackagePipeline extends PipelineCommon {
  readonly status: 'verifying_package';
  readonly uploads: VerifiedUploads;
  readonly package: PackageFacts;
}
/** Holding a `VerifiedPackage` is the only way to be here: an unverified package cannot be submitted. */
export interface SubmittingPipeline extends PipelineCommon {
  readonly status: 'submitting';
  readonly uploads: VerifiedUploads;
  readonly package: VerifiedPackage;
}
export interface TrainingStagePipeline extends PipelineCommon {
  readonly status: 'training';
  readonly uploads: VerifiedUploads;
  readonly package: VerifiedPackage;
  readonly trainerTrainingId: string;
}
export interface SucceededPipeline extends PipelineCommon {
  readonly status: 'succeeded';
  readonly uploads: VerifiedUploads;
  readonly package: VerifiedPackage;
  readonly trainerTrainingId: string;
  readonly modelVersion: string;
  readonly modelId: ModelId;
  readonly packageDeletedAt: Date | null;
}
export interface EndedPipeline extends PipelineCommon {
  readonly status: 'failed' | 'canceled';
  readonly failure: Failure;
  /** Whatever had been reached, kept for clean-up and audit. */
  readonly uploads?: VerifiedUploads;
  readonly package: PackageFacts | null;
  readonly trainerTrainingId: string | null;
  readonly packageDeletedAt: Date | null;
}

export type ActivePipeline =
  | QueuedPipeline
  | VerifyingUploadsPipeline
  | PackagingPipeline
  | VerifyingPackagePipeline
  | SubmittingPipeline
  | TrainingStagePipeline;
export type TerminalPipeline = SucceededPipeline | EndedPipeline;
export type TrainingPipeline = ActivePipeline | TerminalPipeline;

export function isActive(pipeline: TrainingPipeline): pipeline is ActivePipeline {
  return !isTerminalStatus(pipeline.status);
}

/** The step a pipeline in this status is working on (or failed in). */
export function currentStep(status: ActiveStatus): StepName {
  switch (status) {
    case 'queued':
    case 'verifying_uploads':
      return 'verify_uploads';
    case 'packaging':
      return 'package';
    case 'verifying_package':
      return 'verify_package';
    case 'submitting':
      return 'submit';
    case 'training':
      return 'train';
  }
}

const FRESH_RETRY: RetryState = { attempt: 0, notBefore: null };

function startStep(steps: readonly StepRecord[], name: StepName, now: Date): readonly StepRecord[] {
  return [...steps, { name, status: 'running', startedAt: now, finishedAt: null, evidence: null }];
}

function finishStep(
  steps: readonly StepRecord[],
  status: StepRecord['status'],
  now: Date,
  evidence: StepEvidence | null,
): readonly StepRecord[] {
  const last = steps.at(-1);
  if (!last || last.status !== 'running') return steps;
  return [...steps.slice(0, -1), { ...last, status, finishedAt: now, evidence }];
}

export interface NewPipeline {
  readonly id: PipelineId;
  readonly trainingSet: TrainingSet;
  readonly destination: Destination;
  readonly triggerWord: string;
  readonly idempotencyKey: string | null;
  readonly restartOf: PipelineId | null;
  readonly now: Date;
}

export function createPipeline(fields: NewPipeline): QueuedPipeline {
  return {
    id: fields.id,
    ownerId: fields.trainingSet.ownerId,
    revision: 0,
    status: 'queued',
    trainingSet: fields.trainingSet,
    destination: fields.destination,
    triggerWord: fields.triggerWord,
    idempotencyKey: fields.idempotencyKey,
    restartOf: fields.restartOf,
    steps: [],
    retry: FRESH_RETRY,
    createdAt: fields.now,
    updatedAt: fields.now,
  };
}

export function beginVerification(p: QueuedPipeline, now: Date): VerifyingUploadsPipeline {
  return { ...p, status: 'verifying_uploads', steps: startStep(p.steps, 'verify_uploads', now), retry: FRESH_RETRY, updatedAt: now };
}

export function uploadsVerified(p: VerifyingUploadsPipeline, uploads: VerifiedUploads, now: Date): PackagingPipeline {
  const evidence: StepEvidence = { step: 'verify_uploads', uploads: uploads.evidence };
  const steps = startStep(finishStep(p.steps, 'succeeded', now, evidence), 'package', now);
  return { ...p, status: 'packaging', uploads, steps, retry: FRESH_RETRY, updatedAt: now };
}

export function packageWritten(p: PackagingPipeline, written: PackageFacts, now: Date): VerifyingPackagePipeline {
  const evidence: StepEvidence = {
    step: 'package',
    key: written.key,
    sha256: written.sha256,
    byteSize: written.byteSize,
    entries: written.entries.length,
  };
  const steps = startStep(finishStep(p.steps, 'succeeded', now, evidence), 'verify_package', now);
  return { ...p, status: 'verifying_package', package: written, steps, retry: FRESH_RETRY, updatedAt: now };
}

export function packageVerified(p: VerifyingPackagePipeline, verified: VerifiedPackage, now: Date): SubmittingPipeline {
  const evidence: StepEvidence = { step: 'verify_package', sha256: verified.sha256, entries: verified.entries };
  const steps = startStep(finishStep(p.steps, 'succeeded', now, evidence), 'submit', now);
  return { ...p, status: 'submitting', package: verified, steps, retry: FRESH_RETRY, updatedAt: now };
}

/** What the trainer said about a training it accepted or ran. */
export interface TrainerReport {
  readonly trainerTrainingId: string;
  /** The destination the trainer's answer names, or null when its answer does not say. */
  readonly destination: Destination | null;
  readonly status: 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';
  /** `owner/name:hash` of the version this training wrote, when succeeded. */
  readonly outputVersion: string | null;
  readonly error: string | null;
  /**
   * The pipeline the training's input names (the pipeline id in its package key), when the
   * answer says (the trainer's claim: `adoptionOf` judges it). Absent where the source cannot say.
   */
  readonly pipelineId?: PipelineId | null;
}

export function submitted(
  p: SubmittingPipeline,
  report: TrainerReport,
  now: Date,
): Result<TrainingStagePipeline, DomainError<'trainer.destination_mismatch' | 'trainer.invalid_response'>> {
  if (contradicts(report.destination, p.destination)) {
    return err(domainError('trainer.destination_mismatch', `accepted for ${destinationRef(report.destination)}`));
  }
  if (report.trainerTrainingId.length === 0) return err(domainError('trainer.invalid_response', 'empty training id'));
  const evidence: StepEvidence = {
    step: 'submit',
    trainerTrainingId: report.trainerTrainingId,
    destination: `${p.destination.owner}/${p.destination.name}`,
  };
  const steps = startStep(finishStep(p.steps, 'succeeded', now, evidence), 'train', now);
  return ok({ ...p, status: 'training', trainerTrainingId: report.trainerTrainingId, steps, retry: FRESH_RETRY, updatedAt: now });
}

export type ProvenanceError = DomainError<'trainer.destination_mismatch' | 'trainer.invalid_response'>;

/**
 * I5, the one judge of whether a trainer report may touch this pipeline at all: it must be
 * about the training the pipeline recorded, and name no other destination. A report about
 * another training is an answer we cannot use (`trainer.invalid_response`); one about a training
 * no pipeline recorded never gets here (`trainer.unknown_training`, adoption's call).
 */
export function judgeReport(p: TrainingStagePipeline, report: TrainerReport): Result<TrainerReport, ProvenanceError> {
  if (report.trainerTrainingId !== p.trainerTrainingId) {
    return err(domainError('trainer.invalid_response', `report for ${report.trainerTrainingId}, recorded ${p.trainerTrainingId}`));
  }
  if (contradicts(report.destination, p.destination)) {
    return err(domainError('trainer.destination_mismatch', `report names ${destinationRef(report.destination)}`));
  }
  return ok(report);
}

/**
 * I5: a version becomes the owner's model only from this pipeline's own succeeded training, at
 * this pipeline's destination, and it is exactly the version that training returned.
 */
export function trainingSucceeded(
  p: TrainingStagePipeline,
  report: TrainerReport,
  modelId: ModelId,
  now: Date,
): Result<{ pipeline: SucceededPipeline; model: Model }, ProvenanceError> {
  return judgeReport(p, report).andThen(() => succeededWith(p, report, modelId, now));
}

/** The version checks of `trainingSucceeded`, once `judgeReport` has let the report in. */
function succeededWith(
  p: TrainingStagePipeline,
  report: TrainerReport,
  modelId: ModelId,
  now: Date,
): Result<{ pipeline: SucceededPipeline; model: Model }, ProvenanceError> {
  const parsed = report.outputVersion === null ? null : parseVersion(report.outputVersion);
  if (report.status !== 'succeeded' || report.outputVersion === null || parsed === null) {
    return err(domainError('trainer.invalid_response', `succeeded report with version ${String(report.outputVersion)}`));
  }
  // The version must have been written to this owner's destination, not merely reported for it.
  if (!sameDestination(parsed.destination, p.destination)) {
    return err(domainError('trainer.destination_mismatch', `version ${report.outputVersion} is not at ${destinationRef(p.destination)}`));
  }
  const version = report.outputVersion;
  const steps = finishStep(p.steps, 'succeeded', now, { step: 'train', version });
  const pipeline: SucceededPipeline = {
    ...p,
    status: 'succeeded',
    modelVersion: version,
    modelId,
    steps,
    retry: FRESH_RETRY,
    packageDeletedAt: null,
    updatedAt: now,
  };
  const model: Model = restoreModel({
    id: modelId,
    ownerId: p.ownerId,
    pipelineId: p.id,
    destination: p.destination,
    version,
    status: 'active',
    quarantineReason: null,
    trainingSet: p.trainingSet.items.map((item) => ({ uploadId: item.uploadId, sha256: item.sha256 })),
    createdAt: now,
    revision: 0,
  });
  return ok({ pipeline, model });
}

function end(
  p: ActivePipeline,
  status: 'failed' | 'canceled',
  code: ErrorCode,
  now: Date,
): EndedPipeline {
  const failure: Failure = { step: currentStep(p.status), code, message: errorMessages[code] };
  return {
    ...p,
    status,
    failure,
    package: 'package' in p ? p.package : null,
    trainerTrainingId: 'trainerTrainingId' in p ? p.trainerTrainingId : null,
    steps: finishStep(p.steps, status === 'failed' ? 'failed' : 'canceled', now, null),
    retry: FRESH_RETRY,
    packageDeletedAt: null,
    updatedAt: now,
  };
}

/** Verification failures are final; a restart makes a new pipeline. */
export function failPipeline(p: ActivePipeline, error: DomainError, now: Date): EndedPipeline {
  return end(p, 'failed', error.code, now);
}

export function cancelPipeline(
  p: ActivePipeline,
  reason: 'training.canceled_by_owner' | 'training.canceled_upload_deleted' | 'trainer.training_canceled',
  now: Date,
): EndedPipeline {
  return end(p, 'canceled', reason, now);
}

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 2_000, maxDelayMs: 60_000 };

/** `baseDelayMs` doubled per attempt after the first, capped at `maxDelayMs` (the exponent too, so it never overflows). */
function backoffMs(baseDelayMs: number, maxDelayMs: number, attempt: number): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt - 1, 52));
}

/**
 * The longest wait a dependency's `Retry-After` can impose on a step; a longer one is taken as
 * this (the audit's `pipeline.stuck` then tells an operator the trainer keeps refusing).
 */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * A transient failure inside a step: try again later, or give up when the budget is spent. When
 * the dependency said when to come back (a 429's `Retry-After`, `retryAfterMs`), the step waits
 * at least that long and the answer does not count against the budget: being told to wait is
 * not failing (decision 74).
 */
export function retryLater<P extends ActivePipeline>(p: P, policy: RetryPolicy, now: Date, retryAfterMs?: number): P | EndedPipeline {
  if (retryAfterMs !== undefined && retryAfterMs > 0) {
    const delay = Math.min(MAX_RETRY_AFTER_MS, Math.max(policy.baseDelayMs, retryAfterMs));
    return { ...p, retry: { attempt: p.retry.attempt, notBefore: new Date(now.getTime() + delay) }, updatedAt: now };
  }
  const attempt = p.retry.attempt + 1;
  if (attempt >= policy.maxAttempts) return end(p, 'failed', 'training.retries_exhausted', now);
  const delay = backoffMs(policy.baseDelayMs, policy.maxDelayMs, attempt);
  return { ...p, retry: { attempt, notBefore: new Date(now.getTime() + delay) }, updatedAt: now };
}

/**
 * The longest an ended pipeline's clean-up waits between tries (unless the step policy's cap is
 * longer). The steps' cap (a minute by default) suits a bounded budget; a clean-up is never given
 * up, so against a trainer that keeps refusing (429s) its tries thin out to one an hour.
 */
export const CLEANUP_MAX_DELAY_MS = 3_600_000;

/**
 * The clean-up of an ended pipeline failed (the trainer or the store did not answer): try again
 * no sooner than `retry.notBefore`, backing off as the steps do (`policy.baseDelayMs` doubled per
 * consecutive failure) up to `CLEANUP_MAX_DELAY_MS`. Never gives up: the audit's
 * `pipeline.stuck` reports a clean-up owed past `stuckAfterMs`, measured from `updatedAt`, which
 * is therefore left as it was (a retry is not progress).
 */
export function cleanupRetryLater<P extends TerminalPipeline>(p: P, policy: RetryPolicy, now: Date): P {
  const attempt = p.retry.attempt + 1;
  const delay = backoffMs(policy.baseDelayMs, Math.max(policy.maxDelayMs, CLEANUP_MAX_DELAY_MS), attempt);
  return { ...p, retry: { attempt, notBefore: new Date(now.getTime() + delay) } };
}

/**
 * The step got a good answer (a poll saying the training is still running): it is not failing,
 * so earlier transport trouble stops counting. The retry bound is for a step that keeps failing,
 * not for isolated blips spread over a long training. Returns `p` itself when there is nothing
 * to clear, so a caller writes only when a retry was pending.
 */
export function stepAnswered<P extends ActivePipeline>(p: P, now: Date): P {
  if (p.retry.attempt === 0 && p.retry.notBefore === null) return p;
  return { ...p, retry: FRESH_RETRY, updatedAt: now };
}

/** The clean-up is done; any backoff of earlier failed tries is cleared. */
export function packageDeleted(p: TerminalPipeline, now: Date): TerminalPipeline {
  return { ...p, packageDeletedAt: now, retry: FRESH_RETRY, updatedAt: now };
}

/**
 * A terminal pipeline owes clean-up once packaging began (a half-written ZIP may exist even if
 * none was recorded) until its package key has been deleted.
 */
export function needsCleanup(p: TerminalPipeline): boolean {
  return p.packageDeletedAt === null && p.steps.some((step) => step.name === 'package');
}

/** The lifecycle rule (one source): a pipeline has work left while a step is open or clean-up is owed. */
export function isUnfinished(p: TrainingPipeline): boolean {
  return isActive(p) || needsCleanup(p);
}

/**
 * When an unfinished pipeline is next worth a look (null once finished): a retry time ahead
 * (a step's, or a failed clean-up's backoff) says when; a training waiting for the trainer and
 * an ended pipeline owing clean-up come back after the poll interval; any other step is due now.
 */
export function nextDueAt(p: TrainingPipeline, now: Date, pollIntervalMs: number): Date | null {
  if (!isUnfinished(p)) return null;
  if (p.retry.notBefore !== null && p.retry.notBefore > now) return p.retry.notBefore;
  if (!isActive(p) || p.status === 'training') return new Date(now.getTime() + pollIntervalMs);
  return now;
}

/**
 * An ended pipeline whose training may still be running at the trainer, and must be stopped
 * there: it got as far as submitting (with or without a recorded training id), and the trainer
 * did not end the training itself. Every such pipeline began packaging, so it is owed while
 * `needsCleanup` holds, and the clean-up stops it.
 */
export function owesTrainerStop(p: TerminalPipeline): p is EndedPipeline {
  if (p.status === 'succeeded') return false;
  if (p.failure.code === 'trainer.training_failed' || p.failure.code === 'trainer.training_canceled') return false;
  return p.trainerTrainingId !== null || p.steps.some((step) => step.name === 'submit');
}

/** The trigger word an erased owner's pipeline keeps: none (the owner chose the text). */
export const ERASED_TRIGGER_WORD = '';

/**
 * An erased owner's pipeline without what the owner wrote (trigger word, idempotency key); its
 * ids, steps and evidence stay, as the audit needs them. The only change ever allowed to those two.
 */
export function scrubbedForErasure<P extends TrainingPipeline>(p: P): P {
  return { ...p, triggerWord: ERASED_TRIGGER_WORD, idempotencyKey: null };
}

export function isScrubbed(p: TrainingPipeline): boolean {
  return p.triggerWord === ERASED_TRIGGER_WORD && p.idempotencyKey === null;
}
