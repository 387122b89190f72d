import { describe, expect, it } from 'vitest';
import { AUDIT_VIOLATION_KINDS, ModelId, OwnerId, PipelineId, UploadId, type AuditReport, type AuditViolation } from '@selfie-lora/core';
import { auditReportJson, violationJson } from '../src/audit/audit-report-json.js';
import { auditReportText } from '../src/audit/audit-report-text.js';

// The two renderings of one audit report, over a hand-made report holding every kind of
// violation: JSON for machines (instants as ISO strings), a table for people.

const ownerId = OwnerId.parse('alice')._unsafeUnwrap();
const bob = OwnerId.parse('bob')._unsafeUnwrap();
const modelId = ModelId.parse('model-1')._unsafeUnwrap();
const pipelineId = PipelineId.parse('pipeline-1')._unsafeUnwrap();
const uploadId = UploadId.parse('upload-1')._unsafeUnwrap();
const otherUpload = UploadId.parse('upload-2')._unsafeUnwrap();
const at = new Date('2026-02-03T04:05:06.789Z');

const every: AuditViolation[] = [
  { kind: 'version.unrecorded', ownerId: null, destination: 'acct/dest', version: 'acct/dest:v1', createdAt: null, trainerTrainingId: null, pipelineId: null },
  { kind: 'model.pipeline_not_succeeded', ownerId, modelId, pipelineId, pipelineStatus: 'missing' },
  { kind: 'model.empty_training_set', ownerId, modelId },
  { kind: 'model.foreign_upload', ownerId, modelId, uploads: [{ uploadId, uploadOwnerId: bob }, { uploadId: otherUpload, uploadOwnerId: null }] },
  { kind: 'model.provenance_mismatch', ownerId, modelId, pipelineId, detail: 'version x, pipeline produced y' },
  { kind: 'pipeline.manifest_mismatch', ownerId, pipelineId, modelId: null, detail: 'package.manifest_mismatch: extra entry' },
  { kind: 'pipeline.stuck', ownerId, pipelineId, status: 'packaging', updatedAt: at, stuckForMs: 90 * 60_000 },
  { kind: 'object.orphan', ownerId: null, key: 'misc/thing', byteSize: 12, lastModified: at, reason: 'unknown_key' },
  { kind: 'row.object_missing', ownerId, key: 'trainings/r/pipeline-1/training.zip', row: { type: 'package', pipelineId } },
  { kind: 'row.object_size_differs', ownerId, key: 'uploads/r/upload-1', uploadId, recordedBytes: 10, storedBytes: 11 },
  { kind: 'row.unreadable', ownerId, table: 'pipelines', detail: 'state does not parse' },
  { kind: 'training.unknown', ownerId: bob, trainerTrainingId: 't-9', destination: null, status: 'processing', outputVersion: null, createdAt: at },
];

const report: AuditReport = {
  checkedAt: at,
  scanned: { owners: 2, uploads: 3, pipelines: 4, models: 5, objects: 6, trainings: 7, destinations: 8, versions: 9 },
  skipped: ['training.unknown: no webhook URL configured'],
  violations: every,
  quarantined: [modelId],
  quarantineFailed: [{ modelId, code: 'persistence.conflict', message: 'changed meanwhile' }],
};

describe('auditReportJson', () => {
  it('keeps every field of every violation, with instants as ISO 8601 strings and nulls as null', () => {
    const printed = auditReportJson(report);
    expect(printed.checkedAt).toBe('2026-02-03T04:05:06.789Z');
    expect(printed.violations.map((v) => v.kind).sort()).toEqual(Object.keys(AUDIT_VIOLATION_KINDS).sort());
    expect(violationJson(every[0]!)).toMatchObject({ createdAt: null });
    expect(violationJson(every[6]!)).toEqual({ ...every[6], updatedAt: '2026-02-03T04:05:06.789Z' });
    expect(violationJson(every[7]!)).toEqual({ ...every[7], lastModified: '2026-02-03T04:05:06.789Z' });
    expect(violationJson(every[11]!)).toEqual({ ...every[11], createdAt: '2026-02-03T04:05:06.789Z' });
    // Nothing is a Date any more: what a caller stores or compares is exactly what it prints.
    const dates = printed.violations.flatMap((v) => Object.values(v).filter((value) => value instanceof Date));
    expect(dates).toEqual([]);
    expect(JSON.parse(JSON.stringify(printed))).toEqual(printed);
    expect(printed).toMatchObject({ scanned: report.scanned, skipped: report.skipped, quarantined: [modelId], quarantineFailed: report.quarantineFailed });
  });
});

describe('auditReportText', () => {
  const text = auditReportText(report);
  const lines = text.split('\n');

  it('opens with what was scanned and what was skipped', () => {
    expect(lines[0]).toBe(
      'Audit at 2026-02-03T04:05:06.789Z: 2 owners, 3 uploads, 4 pipelines, 5 models, 6 objects, 7 trainer trainings, 9 versions at 8 destinations.',
    );
    expect(lines[1]).toBe('Skipped: training.unknown: no webhook URL configured');
    expect(lines[2]).toBe('12 violation(s):');
  });

  it('prints one aligned row per violation with its owner, subject and evidence', () => {
    const header = lines.findIndex((line) => line.startsWith('KIND '));
    const rows = lines.slice(header + 1, header + 1 + every.length);
    // Each column starts where its heading does, after at least two spaces.
    for (const heading of ['OWNER', 'SUBJECT', 'EVIDENCE']) {
      const column = lines[header]!.indexOf(heading);
      for (const row of rows) expect([row.slice(column - 2, column), row[column] === ' '], `${heading} in ${row}`).toEqual(['  ', false]);
    }
    const rowOf = (kind: string) => rows.find((row) => row.startsWith(`${kind} `))!.split(/\s{2,}/);
    expect(rowOf('version.unrecorded')).toEqual(['version.unrecorded', '-', 'acct/dest:v1', 'created unknown time; training not listed; pipeline none']);
    expect(rowOf('model.pipeline_not_succeeded')).toEqual(['model.pipeline_not_succeeded', 'alice', 'model model-1', 'pipeline pipeline-1 is missing']);
    expect(rowOf('model.foreign_upload')[3]).toBe('upload-1 (owner bob), upload-2 (no such upload)');
    expect(rowOf('pipeline.manifest_mismatch')[3]).toBe('package.manifest_mismatch: extra entry; model none');
    expect(rowOf('pipeline.stuck')[3]).toBe('packaging since 2026-02-03T04:05:06.789Z (90 min)');
    expect(rowOf('object.orphan')).toEqual(['object.orphan', '-', 'misc/thing', 'unknown_key; 12 bytes, modified 2026-02-03T04:05:06.789Z']);
    expect(rowOf('row.object_missing')[3]).toBe('package of pipeline pipeline-1 is gone');
    expect(rowOf('row.object_size_differs')[3]).toBe('upload upload-1: recorded 10 bytes, stored 11');
    expect(rowOf('row.unreadable').slice(2)).toEqual(['pipelines rows', 'state does not parse']);
    expect(rowOf('training.unknown')).toEqual(['training.unknown', 'bob', 'training t-9', 'processing at unknown destination; version none; created 2026-02-03T04:05:06.789Z']);
    expect(rows.map((row) => row.split(' ')[0]).sort()).toEqual(Object.keys(AUDIT_VIOLATION_KINDS).sort());
  });

  it('explains each kind once and names what it quarantined', () => {
    for (const [kind, meaning] of Object.entries(AUDIT_VIOLATION_KINDS)) expect(lines.filter((line) => line === `  ${kind}: ${meaning}`)).toHaveLength(1);
    expect(lines.at(-3)).toBe('Quarantined 1 model(s): model-1');
    expect(lines.at(-2)).toBe('Could not quarantine model-1: persistence.conflict (changed meanwhile)');
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain('No violations found.');
  });

  it('explains a kind once however often it occurs, and says so when nothing was found or quarantined', () => {
    const stuck: AuditViolation = { kind: 'pipeline.stuck', ownerId, pipelineId, status: 'training', updatedAt: at, stuckForMs: 3_600_000 };
    const twice = auditReportText({ ...report, skipped: [], violations: [stuck, { ...stuck, pipelineId: PipelineId.parse('pipeline-2')._unsafeUnwrap() }], quarantined: [], quarantineFailed: [] });
    expect(twice.split('\n').filter((line) => line.startsWith('  pipeline.stuck: '))).toHaveLength(1);
    const owing = auditReportText({ ...report, skipped: [], violations: [{ ...stuck, status: 'failed', owes: ['trainer_stop', 'package_delete'] }], quarantined: [], quarantineFailed: [] });
    expect(owing).toContain('failed since 2026-02-03T04:05:06.789Z (60 min); owes trainer_stop, package_delete');
    expect(twice).toContain('2 violation(s):');
    expect(twice).not.toContain('Quarantined');
    expect(twice).not.toContain('Could not quarantine');
    const clean = auditReportText({ ...report, skipped: [], violations: [], quarantined: [], quarantineFailed: [] });
    expect(clean.split('\n').slice(1)).toEqual(['No violations found.', '']);
  });
});
