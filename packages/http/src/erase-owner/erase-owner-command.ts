import { parseArgs } from 'node:util';
import { err, ok, type Result } from 'neverthrow';
import { eraseOwner, OwnerId, type CoreDeps } from '@selfie-lora/core';
import { erasureReportJson } from '../routes/me.js';

export const ERASE_OWNER_USAGE = `Usage: npm run erase-owner -- <ownerId> [--json]

Erases everything the service holds of one owner, as DELETE /v1/me does: cancels their training,
deletes their photos, training ZIPs and trained versions, marks their models erased. What storage
or the trainer fails to erase stays owed and the worker carries it out; running this again retries it.
  --json   print the report as JSON (the shape DELETE /v1/admin/owners/{ownerId} answers)
Exit status: 0 everything erased, 1 some erasures still owed (the worker retries them), 3 the trainer
refused an erasure (an operator must act), 2 the erasure could not run (nothing or not all recorded).`;

export interface EraseOwnerOptions {
  readonly ownerId: OwnerId;
  readonly json: boolean;
}

/** The command line (`help` alone asks for the usage), or a message naming what is wrong with it. */
export function parseEraseOwnerArgs(args: readonly string[]): Result<EraseOwnerOptions | 'help', string> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    });
  } catch (cause) {
    return err(cause instanceof Error ? cause.message : String(cause));
  }
  if (parsed.values.help) return ok('help');
  if (parsed.positionals.length !== 1) return err(`exactly one owner id is needed, got ${parsed.positionals.length}`);
  const [raw] = parsed.positionals as [string];
  return OwnerId.parse(raw)
    .map((ownerId) => ({ ownerId, json: parsed.values.json }))
    .mapErr(() => `"${raw}" is not a valid owner id`);
}

export interface EraseOwnerRun {
  readonly output: string;
  readonly exitCode: 0 | 1 | 2 | 3;
}

/** Erases the owner once and renders the report; the exit code says whether anything is left to do. */
export async function runEraseOwnerCommand(deps: CoreDeps, options: EraseOwnerOptions): Promise<EraseOwnerRun> {
  return eraseOwner(deps, { ownerId: options.ownerId }).match(
    (erasure): EraseOwnerRun => {
      const report = erasureReportJson(erasure);
      const exitCode = report.erasures.some((e) => e.state === 'refused') ? 3 : report.erasures.some((e) => e.state === 'pending') ? 1 : 0;
      if (options.json) return { output: `${JSON.stringify({ ownerId: options.ownerId, ...report }, null, 2)}\n`, exitCode };
      const lines = [
        `Owner ${options.ownerId}: ${report.uploadsDeleted} photo(s) deleted, ${report.modelsErased} model(s) erased` +
          (report.canceledTrainingId ? `, training ${report.canceledTrainingId} canceled` : ''),
        ...report.erasures.map(
          (e) =>
            `  ${e.state.padEnd(8)} ${e.kind} ${e.target}` +
            (e.state === 'pending' ? ` (attempt ${e.attempt}, next try ${e.notBefore ?? 'now'}${e.lastError ? `: ${e.lastError}` : ''})` : '') +
            (e.state === 'refused' ? ` (${e.lastError ?? 'refused'})` : ''),
        ),
      ];
      return { output: `${lines.join('\n')}\n`, exitCode };
    },
    (error): EraseOwnerRun => ({
      output: options.json
        ? `${JSON.stringify({ error: { code: error.code, message: error.message, detail: error.detail ?? null } }, null, 2)}\n`
        : `The erasure could not run: ${error.message} (${error.code}${error.detail ? `: ${error.detail}` : ''})\n`,
      exitCode: 2,
    }),
  );
}
