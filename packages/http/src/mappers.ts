import {
  destinationRef,
  type Model,
  type PendingUpload,
  type StepEvidence,
  type StepRecord,
  type TrainingPipeline,
  type Upload,
} from '@selfie-lora/core';
import type { ModelJson, PendingUploadJson, StepJson, TrainingJson, UploadJson } from './schemas.js';

// Domain objects to the contract's JSON: ISO dates, and nothing internal (revision, owner id,
// storage keys, idempotency keys, retry state).

export function uploadJson(upload: Upload): UploadJson {
  return {
    id: upload.id,
    status: upload.status,
    contentType: upload.contentType,
    byteSize: upload.byteSize,
    sha256: upload.sha256,
    sourceSha256: upload.sourceSha256,
    width: upload.width,
    height: upload.height,
    checks: upload.checks.map((check) => ({ name: check.name, outcome: check.outcome, message: check.message })),
    createdAt: upload.createdAt.toISOString(),
  };
}

export function pendingUploadJson(pending: PendingUpload): PendingUploadJson {
  return {
    id: pending.id,
    status: pending.status,
    byteSize: pending.byteSize,
    sourceSha256: pending.sourceSha256,
    refusal: pending.refusal ? { code: pending.refusal.code, message: pending.refusal.message } : null,
    receivedAt: pending.receivedAt.toISOString(),
  };
}

export function modelJson(model: Model): ModelJson {
  return {
    id: model.id,
    trainingId: model.pipelineId,
    destination: destinationRef(model.destination),
    version: model.version,
    status: model.status,
    trainingSet: model.trainingSet.map((item) => ({ uploadId: item.uploadId, sha256: item.sha256 })),
  };
}

function evidenceJson(evidence: StepEvidence): NonNullable<StepJson['evidence']> {
  switch (evidence.step) {
    case 'verify_uploads':
      return {
        uploads: evidence.uploads.map((u) => ({ uploadId: u.uploadId, byteSize: u.byteSize, sha256: u.sha256, contentType: u.contentType })),
      };
    case 'package':
      // The package's storage key stays inside: its hash, size and entry count are the evidence.
      return { sha256: evidence.sha256, byteSize: evidence.byteSize, entries: evidence.entries };
    case 'verify_package':
      return {
        sha256: evidence.sha256,
        entries: evidence.entries.map((e) => ({ name: e.name, sha256: e.sha256, byteSize: e.byteSize })),
      };
    case 'submit':
      return { trainerTrainingId: evidence.trainerTrainingId, destination: evidence.destination };
    case 'train':
      return { version: evidence.version };
  }
}

function stepJson(step: StepRecord): StepJson {
  return {
    name: step.name,
    status: step.status,
    startedAt: step.startedAt.toISOString(),
    finishedAt: step.finishedAt?.toISOString() ?? null,
    evidence: step.evidence === null ? null : evidenceJson(step.evidence),
  };
}

/** `model` is the pipeline's active model, if it produced one (a quarantined model is never served). */
export function trainingJson(pipeline: TrainingPipeline, model: Model | null): TrainingJson {
  return {
    id: pipeline.id,
    status: pipeline.status,
    steps: pipeline.steps.map(stepJson),
    failure: 'failure' in pipeline ? { step: pipeline.failure.step, code: pipeline.failure.code, message: pipeline.failure.message } : null,
    model: model !== null && model.status === 'active' && model.pipelineId === pipeline.id ? modelJson(model) : null,
    createdAt: pipeline.createdAt.toISOString(),
    updatedAt: pipeline.updatedAt.toISOString(),
  };
}
