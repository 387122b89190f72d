import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errAsync, ResultAsync } from 'neverthrow';
import { domainError, startTraining, type CoreDeps, type UnitOfWork } from '@selfie-lora/core';
import { createMemoryCore } from '../../src/memory/memory-core.js';
import { RandomIdSource } from '../../src/system/random-id-source.js';
import type { PostgresDatabase } from '../../src/postgres/index.js';
import { anOwner, aDeliveryId, at, queued, setOf, verifying } from '../contracts/repositories.fixtures.js';
import { Seed } from './support/seed.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

// Real concurrent transactions on separate connections: the schema, not luck, decides the winner.

let database: TestDatabase;
let db: PostgresDatabase;
let seed: Seed;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.open();
  seed = new Seed(db);
});
afterAll(async () => {
  await database.drop();
});

/** Resolves once `parties` callers have arrived: every racer has read before any writes. */
function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    arrived += 1;
    if (arrived === parties) open();
    return opened;
  };
}

/** `db`, with every pipeline insert held until `parties` of them have arrived: all racers read first. */
function insertsTogether(parties: number): UnitOfWork {
  const allRead = barrier(parties);
  return {
    transaction: (work) =>
      db.transaction((repos) =>
        work({
          ...repos,
          pipelines: {
            ...repos.pipelines,
            insert: (pipeline) => ResultAsync.fromSafePromise(allRead()).andThen(() => repos.pipelines.insert(pipeline)),
          },
        }),
      ),
  };
}

/** Core dependencies over `uow`, with ids unique across the tests sharing this database. */
function startDeps(uow: UnitOfWork): CoreDeps {
  return { ...createMemoryCore({ config: { minPhotos: 3 } }).deps, ids: new RandomIdSource(), uow };
}

describe('concurrent transactions', () => {
  it('two transactions racing to create an active pipeline for one owner end with exactly one', async () => {
    const owner = anOwner();
    const uploads = await seed.uploads(owner, 3);
    const bothRead = barrier(2);
    const attempt = () =>
      db.transaction((r) =>
        r.pipelines
          .findActive(owner)
          .andThen((active) =>
            active ? errAsync(domainError('training.already_active')) : ResultAsync.fromSafePromise(bothRead()).map(() => null),
          )
          .andThen(() => r.pipelines.insert(queued(setOf(owner, uploads)))),
      );
    const results = await Promise.all([attempt(), attempt()]);
    expect(results.filter((result) => result.isOk())).toHaveLength(1);
    expect(results.filter((result) => result.isErr()).map((result) => result._unsafeUnwrapErr().code)).toEqual(['persistence.conflict']);
    const active = (await db.transaction((r) => r.pipelines.listByOwner(owner)))._unsafeUnwrap();
    expect(active).toHaveLength(1);
  });

  it('many concurrent start-training requests for one owner create exactly one training', async () => {
    const owner = anOwner();
    await seed.uploads(owner, 3);
    const memory = createMemoryCore({ config: { minPhotos: 3 } });
    const deps: CoreDeps = { ...memory.deps, uow: db };
    const results = await Promise.all(Array.from({ length: 8 }, () => startTraining(deps, { ownerId: owner })));
    expect(results.filter((result) => result.isOk())).toHaveLength(1);
    expect(new Set(results.filter((result) => result.isErr()).map((result) => result._unsafeUnwrapErr().code))).toEqual(
      new Set(['training.already_active']),
    );
    expect((await db.transaction((r) => r.pipelines.listByOwner(owner)))._unsafeUnwrap()).toHaveLength(1);
  });

  it('concurrent start-training requests with the same Idempotency-Key all answer the one training they made', async () => {
    const owner = anOwner();
    await seed.uploads(owner, 3);
    const deps = startDeps(insertsTogether(4));
    const results = await Promise.all(Array.from({ length: 4 }, () => startTraining(deps, { ownerId: owner, idempotencyKey: 'same' })));
    const started = results.map((result) => result._unsafeUnwrap());
    expect(new Set(started.map((s) => s.pipeline.id)).size).toBe(1);
    expect(started.map((s) => s.created).sort()).toEqual([false, false, false, true]);
    const stored = (await db.transaction((r) => r.pipelines.listByOwner(owner)))._unsafeUnwrap();
    expect(stored.map((p) => [p.id, p.idempotencyKey])).toEqual([[started[0]!.pipeline.id, 'same']]);
  });

  it('concurrent start-training requests with different keys or none create one training and refuse the rest', async () => {
    const owner = anOwner();
    await seed.uploads(owner, 3);
    const deps = startDeps(insertsTogether(4));
    const keys = ['one', 'two', undefined, undefined];
    const results = await Promise.all(keys.map((idempotencyKey) => startTraining(deps, { ownerId: owner, ...(idempotencyKey ? { idempotencyKey } : {}) })));
    expect(results.filter((result) => result.isOk()).map((result) => result._unsafeUnwrap().created)).toEqual([true]);
    expect(results.filter((result) => result.isErr()).map((result) => result._unsafeUnwrapErr().code)).toEqual([
      'training.already_active',
      'training.already_active',
      'training.already_active',
    ]);
    expect((await db.transaction((r) => r.pipelines.listByOwner(owner)))._unsafeUnwrap()).toHaveLength(1);
  });

  it('two writers of the same revision: one wins, the other gets persistence.conflict (no lost update)', async () => {
    const { p } = await seed.queued(anOwner());
    const bothRead = barrier(2);
    const [advanced, touched] = await Promise.all([
      db.transaction((r) => r.pipelines.getById(p.id).andThen(() => ResultAsync.fromSafePromise(bothRead())).andThen(() => r.pipelines.update(verifying(p)))),
      db.transaction((r) =>
        r.pipelines
          .getById(p.id)
          .andThen(() => ResultAsync.fromSafePromise(bothRead()))
          .andThen(() => r.pipelines.update({ ...p, updatedAt: at(1) })),
      ),
    ]);
    const outcomes = [advanced, touched].map((result) => (result.isOk() ? 'ok' : result._unsafeUnwrapErr().code)).sort();
    expect(outcomes).toEqual(['ok', 'persistence.conflict']);
    const stored = (await db.transaction((r) => r.pipelines.getById(p.id)))._unsafeUnwrap();
    expect(stored?.revision).toBe(1);
  });

  it('a webhook delivery delivered twice at once is recorded once', async () => {
    const id = aDeliveryId();
    const results = await Promise.all(Array.from({ length: 4 }, () => db.transaction((r) => r.webhookDeliveries.recordOnce(id, at(1)))));
    expect(results.map((result) => result._unsafeUnwrap()).sort()).toEqual([false, false, false, true]);
  });
});
