// The forward edges, each typed on its source state and the verified evidence it needs (I7).
import { err, ok, type Result } from 'neverthrow';
import { domainError, type DomainError } from '../errors.js';
import { contradicts, destinationRef, type Destination } from '../destination.js';
import type { PipelineId } from '../ids.js';
import type { PackageFacts, VerifiedPackage } from '../training-package.js';
import type { TrainingSet } from '../training-set.js';
import type { VerifiedUploads } from '../upload-verification.js';
import type { StepEvidence, QueuedPipeline, VerifyingUploadsPipeline, PackagingPipeline, VerifyingPackagePipeline, SubmittingPipeline, TrainingStagePipeline } from './states.js';
import { FRESH_RETRY, startStep, finishStep } from './step-records.js';
import type { TrainerReport } from './trainer-report.js';

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
