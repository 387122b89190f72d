import { describe, expect, it } from 'vitest';
import { destinationFor, listModels, uploadKey, type AuditPolicy } from '@selfie-lora/core';
import { AUDIT_USAGE, parseAuditArgs, runAuditCommand, type AuditOptions } from '../src/audit/audit-command.js';
import { audit, auditPolicy, kinds, owner, trainedWorld, WEBHOOK_URL, type AuditReportJson, type TrainedWorld } from './support/audit-world.js';
import { runToWaiting } from './support/drive.js';
import { harness, json, startTraining, storedState, uploadPhotos, type Harness } from './support/harness.js';

// `npm run audit` without its process: the arguments, then one run over the memory core with
// its output and exit code (0 clean, 1 violations, 2 could not run).

const alice = owner('alice');
const bob = owner('bob');

function options(...args: string[]): AuditOptions {
  return parseAuditArgs(args)._unsafeUnwrap();
}

const run = (h: Harness, args: string[] = [], policy: AuditPolicy = auditPolicy) => runAuditCommand(h.core.deps, policy, options(...args));

/** Alice's model gets one of Bob's photos, and a stranger with no rows gets a version: three violations. */
async function brokenWorld(): Promise<TrainedWorld & { version: string; plantedAt: string }> {
  const world = await trainedWorld();
  const { h, model } = world;
  const bobsUpload = h.core.db.snapshot().uploads.find((u) => u.ownerId === bob)!;
  await h.core.db.tamper((tables) => {
    const stored = tables.models.get(model.id)!;
    tables.models.set(model.id, { ...stored, trainingSet: [...stored.trainingSet, { uploadId: bobsUpload.id, sha256: bobsUpload.sha256 }] });
  });
  const destination = destinationFor(h.core.deps.config.destinationStrategy, owner('carol-never-uploaded'));
  const plantedAt = h.core.clock.now().toISOString();
  const version = h.core.trainer.plantVersion(destination);
  h.core.trainer.plantTraining({ destination, webhook: WEBHOOK_URL, status: 'succeeded', outputVersion: version });
  // Past the grace, so the trainer's side is judged too (younger, it may not be recorded yet).
  h.core.clock.advance(auditPolicy.graceMs);
  return { ...world, version, plantedAt };
}

/** The table's data rows: every line after the header up to the first blank line. */
function tableRows(output: string): string[] {
  const lines = output.split('\n');
  const header = lines.findIndex((line) => /^KIND\s+OWNER\s+SUBJECT\s+EVIDENCE$/.test(line));
  expect(header, output).toBeGreaterThanOrEqual(0);
  const end = lines.indexOf('', header);
  return lines.slice(header + 1, end);
}

describe('parseAuditArgs', () => {
  it('defaults to a read-only text report with the configured thresholds', () => {
    expect(parseAuditArgs([])._unsafeUnwrap()).toEqual({ json: false, quarantine: false, help: false, stuckAfterMinutes: null, graceMinutes: null });
  });

  it('reads every flag, in both --name value and --name=value forms', () => {
    expect(parseAuditArgs(['--json', '--quarantine', '--stuck-after-minutes', '90', '--grace-minutes=5'])._unsafeUnwrap()).toEqual({
      json: true,
      quarantine: true,
      help: false,
      stuckAfterMinutes: 90,
      graceMinutes: 5,
    });
    expect(parseAuditArgs(['--stuck-after-minutes=9999999'])._unsafeUnwrap().stuckAfterMinutes).toBe(9_999_999);
    expect(parseAuditArgs(['--help'])._unsafeUnwrap().help).toBe(true);
    expect(parseAuditArgs(['-h'])._unsafeUnwrap().help).toBe(true);
  });

  it('refuses an unknown flag or a stray argument, naming it', () => {
    expect(parseAuditArgs(['--quarantines'])._unsafeUnwrapErr()).toContain('--quarantines');
    expect(parseAuditArgs(['--dry-run', '--json'])._unsafeUnwrapErr()).toContain('--dry-run');
    expect(parseAuditArgs(['now'])._unsafeUnwrapErr()).toContain('now');
    expect(parseAuditArgs(['--json=yes']).isErr()).toBe(true);
  });

  it.each(['stuck-after-minutes', 'grace-minutes'])('refuses --%s that is not a whole number of minutes from 1, naming the flag and the value', (flag) => {
    for (const value of ['0', '-5', 'abc', '1.5', '', ' 5', '0x10', '1e3', '007', '10000000']) {
      const problem = parseAuditArgs([`--${flag}=${value}`])._unsafeUnwrapErr();
      expect(problem).toContain(`--${flag}`);
      expect(problem).toContain(`"${value}"`);
    }
    // A value that looks like a flag, or none at all.
    expect(parseAuditArgs([`--${flag}`, '-5']).isErr()).toBe(true);
    expect(parseAuditArgs([`--${flag}`]).isErr()).toBe(true);
  });

  it('has a usage text that names every flag and the exit codes', () => {
    for (const flag of ['--json', '--quarantine', '--stuck-after-minutes', '--grace-minutes']) expect(AUDIT_USAGE).toContain(flag);
    expect(AUDIT_USAGE).toMatch(/0 no violations, 1 violations found, 2 the audit could not run/);
  });
});

describe('runAuditCommand', () => {
  it('exits 0 with "No violations found." and what was scanned, for a clean service', async () => {
    const { h } = await trainedWorld();
    const result = await run(h);
    expect(result.exitCode).toBe(0);
    expect(result.output).toBe(
      `Audit at ${h.core.clock.now().toISOString()}: 2 owners, 5 uploads, 1 pipelines, 1 models, 5 objects, 1 trainer trainings, 1 versions at 2 destinations.\n` +
        'No violations found.\n',
    );
  });

  it('exits 1 with one table row per violation showing its kind, owner and subject, and a legend of the kinds', async () => {
    const { h, model, version } = await brokenWorld();
    const result = await run(h);
    expect(result.exitCode).toBe(1);
    expect(result.output).toContain('4 violation(s):');
    const rows = tableRows(result.output);
    expect(rows).toHaveLength(4);
    const row = (kind: string) => {
      const found = rows.filter((line) => line.startsWith(`${kind} `));
      expect(found, `${kind} in\n${result.output}`).toHaveLength(1);
      return found[0]!.split(/\s{2,}/);
    };
    // Columns: kind, owner ("-" when nobody we know), subject, evidence.
    expect(row('version.unrecorded').slice(0, 3)).toEqual(['version.unrecorded', '-', version]);
    expect(row('training.unknown').slice(0, 3)).toEqual(['training.unknown', '-', expect.stringMatching(/^training mem-planted-\d+$/)]);
    expect(row('model.foreign_upload').slice(0, 3)).toEqual(['model.foreign_upload', alice, `model ${model.id}`]);
    expect(row('model.foreign_upload')[3]).toMatch(/owner bob/);
    expect(row('model.provenance_mismatch').slice(0, 3)).toEqual(['model.provenance_mismatch', alice, `model ${model.id}`]);
    for (const kind of ['version.unrecorded', 'training.unknown', 'model.foreign_upload', 'model.provenance_mismatch']) {
      expect(result.output).toMatch(new RegExp(`^  ${kind.replace('.', '\\.')}: \\S`, 'm'));
    }
    expect(result.output).not.toContain('Quarantined');
  });

  it('with --json prints exactly the report GET /v1/admin/audit answers', async () => {
    const { h, plantedAt } = await brokenWorld();
    const result = await run(h, ['--json']);
    expect(result.exitCode).toBe(1);
    const printed = JSON.parse(result.output) as AuditReportJson;
    expect(printed).toEqual(await audit(h));
    expect(kinds(printed)).toEqual(['model.foreign_upload', 'model.provenance_mismatch', 'training.unknown', 'version.unrecorded']);
    expect(printed.violations.find((v) => v.kind === 'version.unrecorded')!.createdAt).toBe(plantedAt);

    const clean = await trainedWorld();
    const cleanRun = await run(clean.h, ['--json']);
    expect(cleanRun.exitCode).toBe(0);
    expect(JSON.parse(cleanRun.output)).toEqual(await audit(clean.h));
  });

  it('reads only without --quarantine', async () => {
    const { h, model } = await brokenWorld();
    const before = storedState(h.core);
    expect((await run(h)).exitCode).toBe(1);
    expect((await run(h, ['--json'])).exitCode).toBe(1);
    expect(storedState(h.core)).toEqual(before);
    expect((await listModels(h.core.deps, alice))._unsafeUnwrap().map((m) => m.id)).toEqual([model.id]);
  });

  it('with --quarantine quarantines exactly the implicated models, prints them, and does it once', async () => {
    const { h, model } = await brokenWorld();
    const objects = storedState(h.core).objects;
    const result = await run(h, ['--quarantine']);
    expect(result.exitCode).toBe(1);
    expect(result.output).toContain(`Quarantined 1 model(s): ${model.id}\n`);
    expect((await listModels(h.core.deps, alice))._unsafeUnwrap()).toEqual([]);
    expect(h.core.db.snapshot().models).toMatchObject([
      { id: model.id, status: 'quarantined', quarantineReason: 'audit: model.foreign_upload, model.provenance_mismatch' },
    ]);
    expect(storedState(h.core).objects).toEqual(objects);

    // Again: the same violations, nothing newly quarantined.
    const again = JSON.parse((await run(h, ['--json', '--quarantine'])).output) as AuditReportJson;
    expect(kinds(again)).toHaveLength(4);
    expect(again.quarantined).toEqual([]);
  });

  it('with --json --quarantine lists the quarantined models in the report', async () => {
    const { h, model } = await brokenWorld();
    const result = await run(h, ['--json', '--quarantine']);
    expect(result.exitCode).toBe(1);
    expect((JSON.parse(result.output) as AuditReportJson).quarantined).toEqual([model.id]);
    expect((await listModels(h.core.deps, alice))._unsafeUnwrap()).toEqual([]);
  });

  it.each(['listTrainings', 'listVersions'] as const)('exits 2 naming the code when the trainer %s fails; nothing is quarantined', async (op) => {
    const { h } = await brokenWorld();
    const before = storedState(h.core);
    h.core.trainer.faults.failNext(op);
    const text = await run(h, ['--quarantine']);
    expect(text.exitCode).toBe(2);
    expect(text.output).toMatch(/^The audit could not run: .+\(trainer\.unavailable.*\)\n$/);
    expect(text.output).toContain('The training service is not reachable right now.');
    expect(storedState(h.core)).toEqual(before);

    h.core.trainer.faults.failNext(op);
    const machine = await run(h, ['--json', '--quarantine']);
    expect(machine.exitCode).toBe(2);
    expect(JSON.parse(machine.output)).toEqual({
      error: { code: 'trainer.unavailable', message: 'The training service is not reachable right now.', detail: expect.any(String) as string },
    });
    expect(storedState(h.core)).toEqual(before);
  });

  it('exits 2 when storage cannot be listed or the database fails', async () => {
    const { h } = await trainedWorld();
    h.core.store.faults.failNext('list');
    const storage = await run(h, ['--json']);
    expect([storage.exitCode, (JSON.parse(storage.output) as { error: { code: string } }).error.code]).toEqual([2, 'storage.unavailable']);
    h.core.db.faults.failNext('transaction');
    const database = await run(h);
    expect(database.exitCode).toBe(2);
    expect(database.output).toContain('persistence.unavailable');
    expect((await run(h)).exitCode).toBe(0);
  });

  it('--stuck-after-minutes decides which unfinished pipeline is reported: one idle for 2 hours is stuck at 60, not at 180', async () => {
    const h = await harness({ webhookUrl: WEBHOOK_URL });
    await uploadPhotos(h, h.alice, [1, 2, 3]);
    const trainingId = json<{ training: { id: string } }>(await startTraining(h, h.alice)).training.id;
    expect(await runToWaiting(h.core, trainingId)).toBe('training');
    h.core.clock.advance(2 * 3_600_000);

    const at60 = await run(h, ['--stuck-after-minutes', '60']);
    expect(at60.exitCode).toBe(1);
    const [row, ...others] = tableRows(at60.output);
    expect(others).toEqual([]);
    expect(row!.split(/\s{2,}/).slice(0, 3)).toEqual(['pipeline.stuck', alice, `pipeline ${trainingId}`]);
    expect(row).toContain('training since 2026-01-01T00:00:00.000Z (120 min)');
    const printed = JSON.parse((await run(h, ['--json', '--stuck-after-minutes=60'])).output) as AuditReportJson;
    expect(printed.violations).toEqual([
      { kind: 'pipeline.stuck', ownerId: alice, pipelineId: trainingId, status: 'training', updatedAt: '2026-01-01T00:00:00.000Z', stuckForMs: 7_200_000 },
    ]);

    expect(await run(h, ['--stuck-after-minutes', '180'])).toMatchObject({ exitCode: 0, output: expect.stringContaining('No violations found.') as string });
    // The threshold is exclusive; without the flag the policy's 24 hours hold.
    expect((await run(h, ['--stuck-after-minutes', '119'])).exitCode).toBe(1);
    expect((await run(h, ['--stuck-after-minutes', '120'])).exitCode).toBe(0);
    expect((await run(h)).exitCode).toBe(0);
  });

  it('--grace-minutes decides how old an object or a trainer\'s training must be to be judged; the policy\'s webhook URL still applies', async () => {
    const { h } = await trainedWorld();
    h.core.trainer.plantTraining({ destination: null, webhook: WEBHOOK_URL, status: 'starting' });
    h.core.clock.advance(30 * 60_000);
    const ghost = uploadKey(bob, 'ghost' as never);
    h.core.store.setBytes(ghost, new Uint8Array([1, 2, 3]), { lastModified: new Date(h.core.clock.now().getTime() - 30 * 60_000) });

    const young = JSON.parse((await run(h, ['--json', '--grace-minutes', '60'])).output) as AuditReportJson;
    expect(kinds(young)).toEqual([]);
    const judged = JSON.parse((await run(h, ['--json', '--grace-minutes', '29'])).output) as AuditReportJson;
    expect(kinds(judged)).toEqual(['object.orphan', 'training.unknown']);
    expect(judged.violations.find((v) => v.kind === 'object.orphan')).toMatchObject({ key: ghost, reason: 'no_upload_row', ownerId: bob });
    // The policy given (1 minute) applies without the flag.
    expect(kinds(JSON.parse((await run(h, ['--json'])).output) as AuditReportJson)).toEqual(['object.orphan', 'training.unknown']);
    // Without a webhook URL in the policy the training cannot be judged, and the report says so.
    const unmatched = await run(h, [], { ...auditPolicy, webhookUrl: null });
    expect(unmatched.output).toMatch(/^Skipped: training\.unknown: /m);
    expect(tableRows(unmatched.output).map((line) => line.split(' ')[0])).toEqual(['object.orphan']);
  });
});
