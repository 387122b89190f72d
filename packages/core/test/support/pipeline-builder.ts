import { destinationFor, type Destination } from '../../src/domain/destination.js';
import type { OwnerId, PipelineId } from '../../src/domain/ids.js';
import { verifyPackage } from '../../src/domain/training-package.js';
import {
  beginVerification,
  createPipeline,
  packageVerified,
  packageWritten,
  submitted,
  uploadsVerified,
  type ActivePipeline,
  type ActiveStatus,
  type PackagingPipeline,
  type QueuedPipeline,
  type SubmittingPipeline,
  type TrainerReport,
  type TrainingStagePipeline,
  type VerifyingPackagePipeline,
  type VerifyingUploadsPipeline,
} from '../../src/domain/training-pipeline.js';
import { verifyUploads } from '../../src/domain/upload-verification.js';
import type { Upload } from '../../src/domain/upload.js';
import { alice, pipelineId } from './ids.js';
import { faithfulPackage } from './package-facts.js';
import { objectsOf, rowsOf } from './storage-facts.js';
import { trainingSetFromUploads } from './training-set-builder.js';
import { minutesAfterStart } from './time.js';
import { uploadsOf } from './upload-builder.js';

export const ACCOUNT = 'acme';

/** The instant each transition of a built pipeline happens at: one minute apart, in order. */
export const STEP_TIMES = {
  created: minutesAfterStart(0),
  verificationBegun: minutesAfterStart(1),
  uploadsVerified: minutesAfterStart(2),
  packageWritten: minutesAfterStart(3),
  packageVerified: minutesAfterStart(4),
  submitted: minutesAfterStart(5),
} as const;

/**
 * Object mother for pipelines, driven through the real transitions (with real verification of
 * faithful storage facts), so every stage it returns is one the core itself could have produced.
 */
export class PipelineBuilder {
  private owner: OwnerId = alice;
  private id: PipelineId = pipelineId('pipeline-1');
  private photos = 3;
  private destination: Destination | null = null;
  private uploadRows: readonly Upload[] | null = null;

  ownedBy(owner: OwnerId): this {
    this.owner = owner;
    return this;
  }

  withId(id: string): this {
    this.id = pipelineId(id);
    return this;
  }

  withPhotos(count: number): this {
    this.photos = count;
    return this;
  }

  at(destination: Destination): this {
    this.destination = destination;
    return this;
  }

  /** The upload rows behind the training set (made on first use). */
  uploads(): readonly Upload[] {
    this.uploadRows ??= uploadsOf(this.owner, this.photos);
    return this.uploadRows;
  }

  queued(): QueuedPipeline {
    return createPipeline({
      id: this.id,
      trainingSet: trainingSetFromUploads(this.owner, this.uploads()),
      destination: this.destination ?? destinationFor({ kind: 'per-owner', account: ACCOUNT }, this.owner),
      triggerWord: 'TOK',
      idempotencyKey: null,
      restartOf: null,
      now: STEP_TIMES.created,
    });
  }

  verifyingUploads(): VerifyingUploadsPipeline {
    return beginVerification(this.queued(), STEP_TIMES.verificationBegun);
  }

  packaging(): PackagingPipeline {
    const p = this.verifyingUploads();
    const uploads = this.uploads();
    const verified = verifyUploads(p.trainingSet, rowsOf(uploads), objectsOf(uploads))._unsafeUnwrap();
    return uploadsVerified(p, verified, STEP_TIMES.uploadsVerified);
  }

  verifyingPackage(): VerifyingPackagePipeline {
    const p = this.packaging();
    return packageWritten(p, faithfulPackage(p.trainingSet, p.id), STEP_TIMES.packageWritten);
  }

  submitting(): SubmittingPipeline {
    const p = this.verifyingPackage();
    const verified = verifyPackage(p.trainingSet, p.id, p.package, p.package)._unsafeUnwrap();
    return packageVerified(p, verified, STEP_TIMES.packageVerified);
  }

  training(trainerTrainingId = 'trn-1'): TrainingStagePipeline {
    const p = this.submitting();
    return submitted(p, acceptedReport(p, trainerTrainingId), STEP_TIMES.submitted)._unsafeUnwrap();
  }

  active(status: ActiveStatus): ActivePipeline {
    switch (status) {
      case 'queued':
        return this.queued();
      case 'verifying_uploads':
        return this.verifyingUploads();
      case 'packaging':
        return this.packaging();
      case 'verifying_package':
        return this.verifyingPackage();
      case 'submitting':
        return this.submitting();
      case 'training':
        return this.training();
    }
  }
}

export function aPipeline(): PipelineBuilder {
  return new PipelineBuilder();
}

/** The trainer's answer to a create call: accepted at the pipeline's destination. */
export function acceptedReport(p: SubmittingPipeline, trainerTrainingId: string): TrainerReport {
  return { trainerTrainingId, destination: p.destination, status: 'starting', outputVersion: null, error: null };
}

/** A succeeded report for the training recorded on `p`, writing version `hash` at its destination. */
export function succeededReport(p: TrainingStagePipeline, overrides: Partial<TrainerReport> = {}): TrainerReport {
  return {
    trainerTrainingId: p.trainerTrainingId,
    destination: p.destination,
    status: 'succeeded',
    outputVersion: `${p.destination.owner}/${p.destination.name}:5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa`,
    error: null,
    ...overrides,
  };
}
