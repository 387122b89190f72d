// One type per state: a transition accepts only its source state, so no step can be skipped.
import type { ErrorCode } from '../errors.js';
import type { Destination } from '../destination.js';
import type { ModelId, OwnerId, PipelineId } from '../ids.js';
import type { PackageFacts, VerifiedPackage } from '../training-package.js';
import type { TrainingSet } from '../training-set.js';
import type { UploadEvidence, VerifiedUploads } from '../upload-verification.js';
import { isTerminalStatus, type ActiveStatus } from './status.js';

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
export interface FailedOrCanceledPipeline extends PipelineCommon {
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
export type TerminalPipeline = SucceededPipeline | FailedOrCanceledPipeline;
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
