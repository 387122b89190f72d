import type { AuditReport, AuditViolation, AuditViolationKind } from '@selfie-lora/core';

export type ViolationJson = { readonly kind: AuditViolationKind; readonly ownerId: string | null } & Readonly<Record<string, unknown>>;

export interface AuditReportJson {
  readonly checkedAt: string;
  readonly scanned: AuditReport['scanned'];
  readonly skipped: string[];
  readonly violations: ViolationJson[];
  readonly quarantined: string[];
  readonly quarantineFailed: { readonly modelId: string; readonly code: string; readonly message: string }[];
}

/** A violation as JSON: its fields as the core names them, instants as ISO 8601 strings. */
export function violationJson(violation: AuditViolation): ViolationJson {
  const entries = Object.entries(violation).map(([name, value]) => [name, value instanceof Date ? value.toISOString() : value] as const);
  return Object.fromEntries(entries) as ViolationJson;
}

/** The report as the admin route and `audit --json` print it (the same shape for both). */
export function auditReportJson(report: AuditReport): AuditReportJson {
  return {
    checkedAt: report.checkedAt.toISOString(),
    scanned: report.scanned,
    skipped: [...report.skipped],
    violations: report.violations.map(violationJson),
    quarantined: [...report.quarantined],
    quarantineFailed: report.quarantineFailed.map((failure) => ({ ...failure })),
  };
}
