import { parseArgs } from 'node:util';
import { err, ok, type Result } from 'neverthrow';
import { auditIntegrity, type AuditPolicy, type CoreDeps } from '@selfie-lora/core';
import { auditReportJson } from './audit-report-json.js';
import { auditReportText } from './audit-report-text.js';

export const AUDIT_USAGE = `Usage: npm run audit -- [--json] [--quarantine] [--stuck-after-minutes N] [--grace-minutes N]

Reconciles the database with object storage and the trainer and reports every integrity violation.
  --json                   print the report as JSON (the shape GET /v1/admin/audit answers)
  --quarantine             quarantine every model a violation implicates (never deletes anything)
  --stuck-after-minutes N  report pipelines unfinished, or owing clean-up, not updated for N minutes (default: AUDIT_STUCK_AFTER_MINUTES, 1440)
  --grace-minutes N        skip objects and rows younger than N minutes (default: AUDIT_GRACE_MINUTES, 60)
Exit status: 0 no violations, 1 violations found, 2 the audit could not run.`;

export interface AuditOptions {
  readonly json: boolean;
  readonly quarantine: boolean;
  readonly help: boolean;
  readonly stuckAfterMinutes: number | null;
  readonly graceMinutes: number | null;
}

const minutes = (name: string, value: string | undefined): Result<number | null, string> => {
  if (value === undefined) return ok(null);
  return /^[1-9][0-9]{0,6}$/.test(value) ? ok(Number(value)) : err(`--${name} must be a whole number of minutes from 1 to 9999999, got "${value}"`);
};

/** The command line, or a message naming what is wrong with it. */
export function parseAuditArgs(args: readonly string[]): Result<AuditOptions, string> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        quarantine: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        'stuck-after-minutes': { type: 'string' },
        'grace-minutes': { type: 'string' },
      },
    });
  } catch (cause) {
    return err(cause instanceof Error ? cause.message : String(cause));
  }
  const { values } = parsed;
  return minutes('stuck-after-minutes', values['stuck-after-minutes']).andThen((stuckAfterMinutes) =>
    minutes('grace-minutes', values['grace-minutes']).map((graceMinutes) => ({
      json: values.json,
      quarantine: values.quarantine,
      help: values.help,
      stuckAfterMinutes,
      graceMinutes,
    })),
  );
}

export interface AuditRun {
  readonly output: string;
  readonly exitCode: 0 | 1 | 2;
}

/** Runs the audit once and renders it; the exit code lets cron tell "clean" from "look at this". */
export async function runAuditCommand(deps: CoreDeps, policy: AuditPolicy, options: AuditOptions): Promise<AuditRun> {
  const effective: AuditPolicy = {
    ...policy,
    ...(options.stuckAfterMinutes === null ? {} : { stuckAfterMs: options.stuckAfterMinutes * 60_000 }),
    ...(options.graceMinutes === null ? {} : { graceMs: options.graceMinutes * 60_000 }),
  };
  return auditIntegrity(deps, { policy: effective, quarantine: options.quarantine }).match(
    (report): AuditRun => ({
      output: options.json ? `${JSON.stringify(auditReportJson(report), null, 2)}\n` : auditReportText(report),
      exitCode: report.violations.length > 0 ? 1 : 0,
    }),
    (error): AuditRun => ({
      output: options.json
        ? `${JSON.stringify({ error: { code: error.code, message: error.message, detail: error.detail ?? null } }, null, 2)}\n`
        : `The audit could not run: ${error.message} (${error.code}${error.detail ? `: ${error.detail}` : ''})\n`,
      exitCode: 2,
    }),
  );
}
