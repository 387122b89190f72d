import { AUDIT_VIOLATION_KINDS, type AuditReport, type AuditViolation } from '@selfie-lora/core';

interface Row {
  readonly kind: string;
  readonly owner: string;
  readonly subject: string;
  readonly evidence: string;
}

const when = (at: Date | null) => (at === null ? 'unknown time' : at.toISOString());

/** What a violation is about and what shows it, in a few words for the table. */
function rowOf(v: AuditViolation): Row {
  const base = { kind: v.kind, owner: v.ownerId ?? '-' };
  switch (v.kind) {
    case 'version.unrecorded':
      return {
        ...base,
        subject: v.version,
        evidence: `created ${when(v.createdAt)}; training ${v.trainerTrainingId ?? 'not listed'}; pipeline ${v.pipelineId ?? 'none'}`,
      };
    case 'model.pipeline_not_succeeded':
      return { ...base, subject: `model ${v.modelId}`, evidence: `pipeline ${v.pipelineId} is ${v.pipelineStatus}` };
    case 'model.empty_training_set':
      return { ...base, subject: `model ${v.modelId}`, evidence: 'no photos recorded' };
    case 'model.foreign_upload':
      return {
        ...base,
        subject: `model ${v.modelId}`,
        evidence: v.uploads.map((u) => `${u.uploadId} (${u.uploadOwnerId === null ? 'no such upload' : `owner ${u.uploadOwnerId}`})`).join(', '),
      };
    case 'model.provenance_mismatch':
      return { ...base, subject: `model ${v.modelId}`, evidence: `pipeline ${v.pipelineId}: ${v.detail}` };
    case 'pipeline.manifest_mismatch':
      return { ...base, subject: `pipeline ${v.pipelineId}`, evidence: `${v.detail}; model ${v.modelId ?? 'none'}` };
    case 'pipeline.stuck':
      return { ...base, subject: `pipeline ${v.pipelineId}`, evidence: `${v.status} since ${v.updatedAt.toISOString()} (${Math.round(v.stuckForMs / 60_000)} min)${v.owes ? `; owes ${v.owes.join(', ')}` : ''}` };
    case 'object.orphan':
      return { ...base, subject: v.key, evidence: `${v.reason}; ${v.byteSize} bytes, modified ${v.lastModified.toISOString()}` };
    case 'row.object_missing':
      return { ...base, subject: v.key, evidence: v.row.type === 'upload' ? `upload ${v.row.uploadId} has no object` : `package of pipeline ${v.row.pipelineId} is gone` };
    case 'row.object_size_differs':
      return { ...base, subject: v.key, evidence: `upload ${v.uploadId}: recorded ${v.recordedBytes} bytes, stored ${v.storedBytes}` };
    case 'row.unreadable':
      return { ...base, subject: `${v.table} rows`, evidence: v.detail };
    case 'training.unknown':
      return {
        ...base,
        subject: `training ${v.trainerTrainingId}`,
        evidence: `${v.status} at ${v.destination ?? 'unknown destination'}; version ${v.outputVersion ?? 'none'}; created ${when(v.createdAt)}`,
      };
  }
}

function table(rows: readonly Row[]): string[] {
  const header: Row = { kind: 'KIND', owner: 'OWNER', subject: 'SUBJECT', evidence: 'EVIDENCE' };
  const all = [header, ...rows];
  const width = (pick: (row: Row) => string) => Math.max(...all.map((row) => pick(row).length));
  const [k, o, s] = [width((r) => r.kind), width((r) => r.owner), width((r) => r.subject)];
  return all.map((row) => `${row.kind.padEnd(k)}  ${row.owner.padEnd(o)}  ${row.subject.padEnd(s)}  ${row.evidence}`.trimEnd());
}

/** The report for people: what was scanned, one table row per violation, what was quarantined. */
export function auditReportText(report: AuditReport): string {
  const s = report.scanned;
  const lines = [
    `Audit at ${report.checkedAt.toISOString()}: ${s.owners} owners, ${s.uploads} uploads, ${s.pipelines} pipelines, ${s.models} models, ` +
      `${s.objects} objects, ${s.trainings} trainer trainings, ${s.versions} versions at ${s.destinations} destinations.`,
    ...report.skipped.map((reason) => `Skipped: ${reason}`),
  ];
  if (report.violations.length === 0) {
    lines.push('No violations found.');
  } else {
    const kinds = [...new Set(report.violations.map((v) => v.kind))];
    lines.push(`${report.violations.length} violation(s):`, '', ...table(report.violations.map(rowOf)), '');
    lines.push(...kinds.map((kind) => `  ${kind}: ${AUDIT_VIOLATION_KINDS[kind]}`));
  }
  if (report.quarantined.length > 0) lines.push(`Quarantined ${report.quarantined.length} model(s): ${report.quarantined.join(', ')}`);
  for (const failure of report.quarantineFailed) lines.push(`Could not quarantine ${failure.modelId}: ${failure.code} (${failure.message})`);
  return `${lines.join('\n')}\n`;
}
