import { describe, expect, it } from 'vitest';
import { implicatedModel, type AuditViolation } from '../src/domain/audit-violation.js';
import { trusted, type ModelId, type OwnerId, type PipelineId, type UploadId } from '../src/domain/ids.js';

const ownerId = trusted<OwnerId>('alice');
const modelId = trusted<ModelId>('m-alice');
const pipelineId = trusted<PipelineId>('p-alice');
const at = new Date('2026-12-01T00:00:00Z');

/** One violation of every kind, with the model it names (if its kind carries one). */
const every: readonly AuditViolation[] = [
  { kind: 'version.unrecorded', ownerId, destination: 'u/selfie-lora-x', version: 'v1', createdAt: at, trainerTrainingId: 't1', pipelineId },
  { kind: 'model.pipeline_not_succeeded', ownerId, modelId, pipelineId, pipelineStatus: 'failed' },
  { kind: 'model.empty_training_set', ownerId, modelId },
  { kind: 'model.foreign_upload', ownerId, modelId, uploads: [{ uploadId: trusted<UploadId>('u-bob'), uploadOwnerId: null }] },
  { kind: 'model.provenance_mismatch', ownerId, modelId, pipelineId, detail: 'version differs' },
  { kind: 'pipeline.manifest_mismatch', ownerId, pipelineId, modelId, detail: 'one photo missing' },
  { kind: 'pipeline.manifest_mismatch', ownerId, pipelineId, modelId: null, detail: 'no model yet' },
  { kind: 'pipeline.stuck', ownerId, pipelineId, status: 'packaging', updatedAt: at, stuckForMs: 1 },
  { kind: 'object.orphan', ownerId, key: 'uploads/x/y', byteSize: 1, lastModified: at, reason: 'no_upload_row' },
  { kind: 'row.object_missing', ownerId, key: 'uploads/x/y', row: { type: 'package', pipelineId } },
  { kind: 'row.object_size_differs', ownerId, key: 'uploads/x/y', uploadId: trusted<UploadId>('u1'), recordedBytes: 1, storedBytes: 2 },
  { kind: 'row.unreadable', ownerId, table: 'models', detail: 'bad json' },
  { kind: 'training.unknown', ownerId, trainerTrainingId: 't2', destination: null, status: 'succeeded', outputVersion: null, createdAt: at },
];

describe('implicatedModel', () => {
  it('names the model of every model violation and of a manifest mismatch, and nothing for the other kinds', () => {
    expect(every.map((violation) => [violation.kind, implicatedModel(violation)])).toEqual([
      ['version.unrecorded', null],
      ['model.pipeline_not_succeeded', modelId],
      ['model.empty_training_set', modelId],
      ['model.foreign_upload', modelId],
      ['model.provenance_mismatch', modelId],
      ['pipeline.manifest_mismatch', modelId],
      ['pipeline.manifest_mismatch', null],
      ['pipeline.stuck', null],
      ['object.orphan', null],
      ['row.object_missing', null],
      ['row.object_size_differs', null],
      ['row.unreadable', null],
      ['training.unknown', null],
    ]);
  });
});
