import { describe, expect, it } from 'vitest';
import type { AuditViolation } from '../src/domain/audit-violation.js';
import { inReportOrder } from '../src/domain/audit-findings.js';
import { alice, bob, modelId, pipelineId, uploadId } from './support/ids.js';
import { t0 } from './support/time.js';

// One order of a report, however its parts were found: sections in a fixed order, versions by
// destination and orphans by key within theirs, otherwise in the order found.
const unreadable: AuditViolation = { kind: 'row.unreadable', ownerId: bob, table: 'models', detail: 'x' };
const version = (destination: string): AuditViolation => ({
  kind: 'version.unrecorded',
  ownerId: null,
  destination,
  version: `${destination}:abc`,
  createdAt: null,
  trainerTrainingId: null,
  pipelineId: null,
});
const training: AuditViolation = {
  kind: 'training.unknown',
  ownerId: null,
  trainerTrainingId: 't',
  destination: null,
  status: 'processing',
  outputVersion: null,
  createdAt: null,
};
const emptyModel: AuditViolation = { kind: 'model.empty_training_set', ownerId: alice, modelId: modelId('m-2') };
const modelNotSucceeded: AuditViolation = {
  kind: 'model.pipeline_not_succeeded',
  ownerId: alice,
  modelId: modelId('m-1'),
  pipelineId: pipelineId('p-1'),
  pipelineStatus: 'missing',
};
const stuck: AuditViolation = {
  kind: 'pipeline.stuck',
  ownerId: alice,
  pipelineId: pipelineId('p-3'),
  status: 'queued',
  updatedAt: t0,
  stuckForMs: 1,
};
const manifest: AuditViolation = { kind: 'pipeline.manifest_mismatch', ownerId: alice, pipelineId: pipelineId('p-2'), modelId: null, detail: 'x' };
const orphan = (key: string): AuditViolation => ({ kind: 'object.orphan', ownerId: null, key, byteSize: 1, lastModified: t0, reason: 'unknown_key' });
const missingUpload: AuditViolation = { kind: 'row.object_missing', ownerId: bob, key: 'k1', row: { type: 'upload', uploadId: uploadId('u-1') } };
const sizeDiffers: AuditViolation = {
  kind: 'row.object_size_differs',
  ownerId: bob,
  key: 'k2',
  uploadId: uploadId('u-2'),
  recordedBytes: 1,
  storedBytes: 2,
};
const missingPackage: AuditViolation = { kind: 'row.object_missing', ownerId: bob, key: 'k3', row: { type: 'package', pipelineId: pipelineId('p-4') } };

const ordered: AuditViolation[] = [
  unreadable,
  version('acme/a'),
  version('acme/b'),
  training,
  emptyModel,
  modelNotSucceeded,
  stuck,
  manifest,
  orphan('a/key'),
  orphan('b/key'),
  sizeDiffers,
  missingUpload,
  missingPackage,
];

describe('inReportOrder', () => {
  it('puts each section in its place whatever order the parts came in, keeping the found order within a section', () => {
    expect(inReportOrder([...ordered].reverse()).map((v) => v.kind)).toEqual([
      'row.unreadable',
      'version.unrecorded',
      'version.unrecorded',
      'training.unknown',
      'model.pipeline_not_succeeded',
      'model.empty_training_set',
      'pipeline.manifest_mismatch',
      'pipeline.stuck',
      'object.orphan',
      'object.orphan',
      'row.object_missing',
      'row.object_size_differs',
      'row.object_missing',
    ]);
    expect(inReportOrder(ordered)).toEqual(ordered);
  });

  it('orders versions by destination and orphans by key, and is stable for equal ones', () => {
    const reversed = inReportOrder([orphan('b/key'), version('acme/b'), orphan('a/key'), version('acme/a')]);
    expect(reversed).toEqual([version('acme/a'), version('acme/b'), orphan('a/key'), orphan('b/key')]);
    const first = orphan('same/key');
    const second = { ...orphan('same/key'), byteSize: 2 };
    expect(inReportOrder([first, second])).toEqual([first, second]);
    expect(inReportOrder([second, first])).toEqual([second, first]);
  });
});
