// What the trainer reports, and I5: the one judge of a report, and the only way a model is made.
import { err, ok, type Result } from 'neverthrow';
import { domainError, type DomainError } from '../errors.js';
import { contradicts, destinationRef, parseVersion, sameDestination, type Destination } from '../destination.js';
import type { ModelId, PipelineId } from '../ids.js';
import type { Model } from '../model.js';
import { restoreModel } from '../rehydrate.js';
import type { TrainingStagePipeline, SucceededPipeline } from './states.js';
import { FRESH_RETRY, finishStep } from './step-records.js';

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

/** Whether the trainer is still at work on a training (it has not ended, one way or another). */
export function isRunningAtTrainer(status: TrainerReport['status']): boolean {
  return status === 'starting' || status === 'processing';
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
