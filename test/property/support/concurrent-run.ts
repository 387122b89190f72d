import fc from 'fast-check';
import { createMemoryCore, type MemoryCore } from '@selfie-lora/adapters/memory';
import { SharpImageInspector } from '@selfie-lora/adapters';
import { registerUpload, type CoreDeps } from '@selfie-lora/core';
import { streamOf } from '@selfie-lora/testkit/photos';
import { coreUseCases, runBatch, type BatchContext, type Call, type Command, type UseCases } from './concurrent-commands.js';
import { checkAnswers, checkRepositories, checkRows, checkStorage, type History } from './concurrent-checks.js';
import { MemoizedPhotoNormaliser } from './memoized-photo-normaliser.js';
import type { ImagePool } from './pool.js';
import type { PropertySchema } from './postgres-schema.js';
import { readRows, type Rows } from './postgres-rows.js';
import { MIN_PHOTOS, ownerIdOf } from './world.js';

export interface Scenario {
  /** Photos (pool indices) each owner has uploaded before the first batch. */
  readonly photos: Readonly<Record<string, readonly number[]>>;
  readonly batches: readonly (readonly Command[])[];
}

export function scenarioArb(owners: readonly string[], pool: ImagePool, batch: fc.Arbitrary<Command[]>): fc.Arbitrary<Scenario> {
  const photos = fc.uniqueArray(fc.nat({ max: pool.photos.length - 1 }), { minLength: 1, maxLength: 5 });
  return fc.record({
    photos: fc.record(Object.fromEntries(owners.map((owner) => [owner, photos]))),
    batches: fc.array(batch, { minLength: 4, maxLength: 16, size: 'max' }),
  });
}

/** Counts across every run, to show the races worth having were really run. */
export interface Coverage {
  batches: number;
  calls: number;
  /** Batches with two or more starts of one owner with one Idempotency-Key. */
  sameKeyRaces: number;
  /** Batches where one owner's start raced a delete of one of their photos. */
  startDeleteRaces: number;
  pipelines: number;
  models: number;
  canceledByDelete: number;
  webhooksApplied: number;
  /** `persistence.conflict` answers, by use case (allowed only where EXPECTED_REFUSALS says so). */
  conflicts: Record<string, number>;
}

export function emptyCoverage(): Coverage {
  return { batches: 0, calls: 0, sameKeyRaces: 0, startDeleteRaces: 0, pipelines: 0, models: 0, canceledByDelete: 0, webhooksApplied: 0, conflicts: {} };
}

function tally(coverage: Coverage, batch: readonly Command[], calls: readonly Call[], before: Rows, after: Rows): void {
  coverage.batches += 1;
  coverage.calls += calls.length;
  const starts = new Map<string, number>();
  for (const c of batch) if (c.kind === 'start' && c.key !== null) starts.set(`${c.owner}/${c.key}`, (starts.get(`${c.owner}/${c.key}`) ?? 0) + 1);
  if ([...starts.values()].some((n) => n > 1)) coverage.sameKeyRaces += 1;
  const deleting = new Set(batch.flatMap((c) => (c.kind === 'delete' && c.actor === c.owner ? [c.owner] : [])));
  if (batch.some((c) => (c.kind === 'start' || c.kind === 'restart') && deleting.has(c.owner))) coverage.startDeleteRaces += 1;
  coverage.pipelines += after.pipelines.length - before.pipelines.length;
  coverage.models += after.models.length - before.models.length;
  for (const call of calls) {
    const { answer } = call;
    if (!('ok' in answer)) continue;
    if (!answer.ok && answer.code === 'persistence.conflict') coverage.conflicts[call.useCase] = (coverage.conflicts[call.useCase] ?? 0) + 1;
    if (answer.ok && call.useCase === 'delete' && (answer.value as { canceled: unknown }).canceled) coverage.canceledByDelete += 1;
    if (answer.ok && call.useCase === 'webhook' && (answer.value as { kind: string }).kind === 'applied') coverage.webhooksApplied += 1;
  }
}

const images = new SharpImageInspector();
const normaliser = new MemoizedPhotoNormaliser();

export interface RunOptions {
  readonly schema: PropertySchema;
  readonly pool: ImagePool;
  readonly owners: readonly string[];
  readonly coverage: Coverage;
  readonly useCases?: UseCases;
}

/** An empty schema, a fresh in-memory store, packager and trainer, and the owners' photos uploaded. */
export async function freshWorld(
  schema: PropertySchema,
  pool: ImagePool,
  photos: Readonly<Record<string, readonly number[]>>,
): Promise<{ core: MemoryCore; deps: CoreDeps }> {
  await schema.reset();
  const core = createMemoryCore({ config: { minPhotos: MIN_PHOTOS }, images, photos: normaliser });
  const deps: CoreDeps = { ...core.deps, uow: schema.db };
  for (const [owner, indices] of Object.entries(photos)) {
    for (const photo of indices) {
      const registered = await registerUpload(deps, { ownerId: ownerIdOf(owner), body: streamOf(pool.photos[photo]!.bytes) });
      if (registered.isErr()) throw new Error(`setup: ${owner}'s photo${photo} was refused: ${registered.error.code}`);
    }
  }
  return { core, deps };
}

/**
 * One run: the owners' photos, then each batch at once over the real PostgresDatabase (object
 * store, packager and trainer in memory), every check after each batch.
 */
export async function runScenario(options: RunOptions, scenario: Scenario): Promise<void> {
  const { schema, pool, owners, coverage } = options;
  const { core, deps } = await freshWorld(schema, pool, scenario.photos);
  const ctx: BatchContext = { deps, core, pool, useCases: options.useCases ?? coreUseCases };
  const history: History = new Map();
  let rows = await readRows(schema.sql);
  checkRows(rows, history, MIN_PHOTOS);
  for (const batch of scenario.batches) {
    core.clock.advance(1_000);
    const { calls } = await runBatch(ctx, rows, batch);
    const after = await readRows(schema.sql);
    tally(coverage, batch, calls, rows, after);
    checkAnswers(calls, rows, after, pool);
    checkRows(after, history, MIN_PHOTOS);
    checkStorage(after, core);
    rows = after;
  }
  // Once per run (the checks above read plain SQL): the adapter reads every row back as the core's types.
  await checkRepositories(deps, owners, rows);
}
