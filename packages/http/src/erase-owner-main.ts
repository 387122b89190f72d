// `npm run erase-owner -- <ownerId> [--json]`: an operator's erasure of one owner, over the
// service's PostgreSQL, S3 and Replicate (the same settings as the worker and the audit).
import { createOperatorLogger } from '@selfie-lora/adapters';
import { ERASE_OWNER_USAGE, parseEraseOwnerArgs, runEraseOwnerCommand } from './erase-owner/erase-owner-command.js';
import { openSharedServices } from './start/open-shared-services.js';

async function main(): Promise<number> {
  const options = parseEraseOwnerArgs(process.argv.slice(2)).match(
    (parsed) => parsed,
    (problem) => {
      process.stderr.write(`${problem}\n\n${ERASE_OWNER_USAGE}\n`);
      return null;
    },
  );
  if (options === null) return 2;
  if (options === 'help') {
    process.stdout.write(`${ERASE_OWNER_USAGE}\n`);
    return 0;
  }
  const opened = await openSharedServices('the erasure', process.env, (text) => process.stderr.write(`${text}\n`));
  if (opened === null) return 2;
  const { container } = opened;
  try {
    const run = await runEraseOwnerCommand(container.deps, options);
    process.stdout.write(run.output);
    return run.exitCode;
  } finally {
    await container.close();
  }
}

// Anything thrown means the erasure did not run to a report: 2, not Node's 1 ("some still owed").
const exitCode = await main().catch((cause: unknown) => {
  createOperatorLogger({ name: 'selfie-lora-erase-owner' }).fatal({ err: cause }, 'the erasure could not run');
  return 2;
});
process.exit(exitCode);
