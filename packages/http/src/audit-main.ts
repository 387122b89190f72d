// `npm run audit`: one reconciliation of the service's PostgreSQL, S3 and Replicate, for people
// (a table) or machines (--json), optionally quarantining what it implicates. Like the worker it
// needs the real services' settings: an embedded PostgreSQL belongs to its `npm start` process.
import { createServiceContainer } from '@selfie-lora/adapters';
import { AUDIT_USAGE, parseAuditArgs, runAuditCommand } from './audit/audit-command.js';
import { configure } from './start/configure.js';

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
  const env = configure(process.env).match(
    (valid) => valid,
    (problems) => {
      process.stderr.write(`${problems}\n`);
      return null;
    },
  );
  if (env === null) return 2;
  const container = await createServiceContainer(env).match(
    (built) => built,
    (failure) => {
      process.stderr.write(`The audit could not start: ${failure.message}\n`);
      return null;
    },
  );
  if (container === null) return 2;
  try {
    const run = await runAuditCommand(container.deps, container.auditPolicy, options);
    process.stdout.write(run.output);
    return run.exitCode;
  } finally {
    await container.close();
  }
}

process.exit(await main());
