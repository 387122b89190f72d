import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { okAsync } from 'neverthrow';
import type pg from 'pg';
import type { QueryRunner } from 'typeorm';
import { InitialSchema1714550400000 } from '../../src/postgres/migrations/1714550400000-initial-schema.js';
import { PipelineSchedule1714636800000 } from '../../src/postgres/migrations/1714636800000-pipeline-schedule.js';
import { ModelProvenanceOnInsert1714723200000 } from '../../src/postgres/migrations/1714723200000-model-provenance-on-insert.js';
import { PipelineTrainingFixed1714809600000 } from '../../src/postgres/migrations/1714809600000-pipeline-training-fixed.js';
import { Erasures1796231362279 } from '../../src/postgres/migrations/1796231362279-erasures.js';
import { UploadSlots1796232000000 } from '../../src/postgres/migrations/1796232000000-upload-slots.js';
import { UploadSourceAndChecks1796231741722 } from '../../src/postgres/migrations/1796231741722-upload-source-and-checks.js';
import { PipelineOwnerTextErasable1796281400000 } from '../../src/postgres/migrations/1796281400000-pipeline-owner-text-erasable.js';
import { RateLimitWindows1796300000000 } from '../../src/postgres/migrations/1796300000000-rate-limit-windows.js';
import { PendingUploads1796400000000 } from '../../src/postgres/migrations/1796400000000-pending-uploads.js';
import { PipelinesAwaitingTrainer1796500000000 } from '../../src/postgres/migrations/1796500000000-pipelines-awaiting-trainer.js';
import { createPostgresDatabase, persistenceError, type PostgresDatabase } from '../../src/postgres/index.js';
import { anOwner, anUpload, at } from '../contracts/repositories.fixtures.js';
import { Seed } from './support/seed.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/** Typed as unknown so the matcher can sit in an object literal. */
const containing = (text: string): unknown => expect.stringContaining(text);

let database: TestDatabase;
let db: PostgresDatabase;
let sql: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.open();
  sql = await database.client();
});
afterAll(async () => {
  await database.drop();
});

describe('opening a database', () => {
  it('answers an unreachable server with a transient persistence.unavailable', async () => {
    const result = await createPostgresDatabase({ url: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 2_000 });
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'persistence.unavailable', transient: true });
  });

  it('refuses a schema name that is not a plain identifier, before connecting', async () => {
    const result = await createPostgresDatabase({ url: database.url, schema: 'x"; DROP TABLE uploads; --' });
    expect(result._unsafeUnwrapErr().code).toBe('persistence.unavailable');
    expect((await sql.query(`SELECT to_regclass('uploads') AS t`)).rows[0]).toEqual({ t: 'uploads' });
  });

  it('migrates once, even when several processes start together', async () => {
    const fresh = await createTestDatabase();
    try {
      const opened = await Promise.all([fresh.open(), fresh.open(), fresh.open()]);
      expect(opened).toHaveLength(3);
      const client = await fresh.client();
      const applied = await client.query<{ name: string }>('SELECT name FROM migrations');
      expect(applied.rows.map((row) => row.name)).toEqual([
        'InitialSchema1714550400000',
        'PipelineSchedule1714636800000',
        'ModelProvenanceOnInsert1714723200000',
        'PipelineTrainingFixed1714809600000',
        'Erasures1796231362279',
        'UploadSourceAndChecks1796231741722',
        'UploadSlots1796232000000',
        'PipelineOwnerTextErasable1796281400000',
        'RateLimitWindows1796300000000',
        'PendingUploads1796400000000',
        'PipelinesAwaitingTrainer1796500000000',
      ]);
    } finally {
      await fresh.drop();
    }
  });

  it('keeps each schema apart when given one', async () => {
    const [a, b] = [await database.open({ schema: 'tenant_a' }), await database.open({ schema: 'tenant_b' })];
    const upload = anUpload(anOwner());
    await a.transaction((r) => r.uploads.insert(upload));
    expect((await a.transaction((r) => r.uploads.get(upload.ownerId, upload.id)))._unsafeUnwrap()).toEqual(upload);
    expect((await b.transaction((r) => r.uploads.get(upload.ownerId, upload.id)))._unsafeUnwrap()).toBeNull();
    expect((await db.transaction((r) => r.uploads.get(upload.ownerId, upload.id)))._unsafeUnwrap()).toBeNull();
    // The triggers work inside the schema too (they resolve tables there).
    const seed = new Seed(a);
    const { model } = await seed.succeededWithoutModel(anOwner());
    expect((await a.transaction((r) => r.models.insert({ ...model, trainingSet: model.trainingSet.slice(1) })))._unsafeUnwrapErr().code).toBe(
      'persistence.constraint',
    );
    expect((await a.transaction((r) => r.models.insert(model)))._unsafeUnwrap()).toEqual(model);
  });

  it('has down migrations that remove everything the up migrations made', async () => {
    const fresh = await createTestDatabase();
    try {
      await fresh.open();
      const client = await fresh.client();
      const runner = { query: (text: string) => client.query(text) } as unknown as QueryRunner;
      await new PipelinesAwaitingTrainer1796500000000().down(runner);
      await new PendingUploads1796400000000().down(runner);
      await new RateLimitWindows1796300000000().down(runner);
      await new UploadSlots1796232000000().down(runner);
      await new PipelineOwnerTextErasable1796281400000().down(runner);
      await new UploadSourceAndChecks1796231741722().down(runner);
      await new Erasures1796231362279().down(runner);
      await new PipelineTrainingFixed1714809600000().down(runner);
      await new ModelProvenanceOnInsert1714723200000().down(runner);
      await new PipelineSchedule1714636800000().down(runner);
      await new InitialSchema1714550400000().down(runner);
      const left = await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
      expect(left.rows).toEqual([{ tablename: 'migrations' }]);
      await new InitialSchema1714550400000().up(runner);
      await new PipelineSchedule1714636800000().up(runner);
      await new ModelProvenanceOnInsert1714723200000().up(runner);
      await new PipelineTrainingFixed1714809600000().up(runner);
      await new Erasures1796231362279().up(runner);
      await new UploadSlots1796232000000().up(runner);
      await new UploadSourceAndChecks1796231741722().up(runner);
      await new PipelineOwnerTextErasable1796281400000().up(runner);
      await new RateLimitWindows1796300000000().up(runner);
      await new PendingUploads1796400000000().up(runner);
      await new PipelinesAwaitingTrainer1796500000000().up(runner);
    } finally {
      await fresh.drop();
    }
  });

  it('answers with an error, never a throw, once closed', async () => {
    const closing = await database.open();
    (await closing.close())._unsafeUnwrap();
    const result = await closing.transaction((r) => r.uploads.listByOwner(anOwner()));
    expect(result._unsafeUnwrapErr().code).toBe('persistence.unavailable');
  });
});

describe('transactions', () => {
  it('turns a statement timeout into a transient error, and never commits the rest of that transaction', async () => {
    const afterwards = await database.open();
    const slow = await createPostgresDatabase({ url: database.url, statementTimeoutMs: 200, migrate: false });
    const timed = slow._unsafeUnwrap();
    const owner = anOwner();
    const upload = anUpload(owner);
    await sql.query('BEGIN');
    await sql.query('LOCK TABLE uploads IN ACCESS EXCLUSIVE MODE');
    try {
      // The read times out; the work shrugs that off and writes, but the database already
      // abandoned the transaction: the write answers with the cause, and when the work shrugs
      // that off too, the result must still say so instead of reporting a commit.
      const errors: unknown[] = [];
      const result = await timed.transaction((r) =>
        r.uploads
          .listByOwner(owner)
          .orElse((error) => okAsync(errors.push(error)))
          .andThen(() => r.webhookDeliveries.recordOnce(`after-timeout-${owner}`, at(1)))
          .orElse((error) => okAsync(errors.push(error))),
      );
      const timeout = { code: 'persistence.unavailable', transient: true, detail: containing('57014') };
      expect(errors).toEqual([expect.objectContaining(timeout), expect.objectContaining(timeout)]);
      expect(result._unsafeUnwrapErr()).toMatchObject(timeout);
    } finally {
      await sql.query('ROLLBACK');
      await timed.close();
    }
    expect((await sql.query('SELECT id FROM webhook_deliveries WHERE id = $1', [`after-timeout-${owner}`])).rows).toEqual([]);
    expect((await afterwards.transaction((r) => r.uploads.insert(upload)))._unsafeUnwrap()).toEqual(upload);
  });

  it('reports a row it cannot read back as an error value', async () => {
    const seed = new Seed(db);
    const { p } = await seed.queued(anOwner());
    await sql.query(`UPDATE pipelines SET state = '{"steps": "not a list"}', revision = revision + 1 WHERE id = $1`, [p.id]);
    const result = await db.transaction((r) => r.pipelines.getById(p.id));
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'persistence.corrupt', detail: containing('malformed') });
  });
});

describe('error mapping', () => {
  it.each([
    [{ code: '23505' }, 'persistence.conflict', undefined],
    [{ code: '40001' }, 'persistence.conflict', undefined],
    [{ code: '23503' }, 'persistence.constraint', undefined],
    [{ code: '23514' }, 'persistence.constraint', undefined],
    [{ code: '23000' }, 'persistence.constraint', undefined],
    [{ code: '22001' }, 'persistence.constraint', undefined],
    [{ code: '57014' }, 'persistence.unavailable', true],
    [{ code: '08006' }, 'persistence.unavailable', true],
    [{ code: 'ECONNREFUSED' }, 'persistence.unavailable', true],
    [new Error('Connection terminated due to connection timeout'), 'persistence.unavailable', true],
    [{ code: '42P01' }, 'persistence.unavailable', undefined],
  ])('maps %o to %s', (cause, code, transient) => {
    const error = persistenceError(cause);
    expect(error.code).toBe(code);
    expect(error.transient).toBe(transient);
  });
});
