// `npm run audit`: one reconciliation of the service's PostgreSQL, S3 and Replicate, for people
// (a table) or machines (--json), optionally quarantining what it implicates. Like the worker it
// needs the real services' settings: an embedded PostgreSQL belongs to its `npm start` process.
import { createOperatorLogger } from '@selfie-lora/adapters';
import { AUDIT_USAGE, parseAuditArgs, runAuditCommand } from './audit/audit-command.js';
import { openSharedServices } from './start/open-shared-services.js';

async function main(): Promise<number> {
  const options = parseAuditArgs(process.argv.slice(2)).match(
    (parsed) => parsed,
    (problem) => {
      process.stderr.write(`${problem}\n\n${AUDIT_USAGE}\n`);
      return null;
    },
  );
  if (options === null) return 2;
  if (options.help) {
    process.stdout.write(`${AUDIT_USAGE}\n`);
    return 0;
  }
  const opened = await openSharedServices('the audit', process.env, (text) => process.stderr.write(`${text}\n`));
  if (opened === null) return 2;
  const { container } = opened;
  try {
    const run = await runAuditCommand(container.deps, container.auditPolicy, options);
    process.stdout.write(run.output);
    return run.exitCode;
  } finally {
    await container.close();
  }
}

// Anything thrown (a failed close included) means the audit did not run to a verdict: 2, not
// Node's 1, which cron would read as "violations found".
const exitCode = await main().catch((cause: unknown) => {
  createOperatorLogger({ name: 'selfie-lora-audit' }).fatal({ err: cause }, 'the audit could not run');
  return 2;
});
process.exit(exitCode);
