import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { PersistenceError, PipelineId, Repositories } from '@selfie-lora/core';
import type { ResultAsync } from 'neverthrow';
import { outOfBand } from '@selfie-lora/testkit/postgres';
import type { PostgresDatabase } from '../../src/postgres/index.js';
import { anOwner, anUpload, at } from '../contracts/repositories.fixtures.js';
import { Seed } from './support/seed.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

// How the audit tests corrupt a real database: `outOfBand` writes with triggers off (guards and
// foreign keys), as a restore or a DBA would. Each test shows the plain statement refused first
// (the control), then planted out of band, then read back through the repositories as the audit
// will read it. CHECK constraints stay on, so some states cannot exist in Postgres at all.

let database: TestDatabase;
let db: PostgresDatabase;
let sql: pg.Client;
let seed: Seed;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.open();
  sql = await database.client();
  seed = new Seed(db);
});
afterAll(async () => {
  await database.drop();
});

/** The repositories' answer as is, Ok or Err. */
const read = <T>(work: (repositories: Repositories) => ResultAsync<T, PersistenceError>) => db.transaction(work);

/** Typed as unknown so the matcher can sit in an object literal. */
const containing = (text: string): unknown => expect.stringContaining(text);

async function succeededWithModel() {
  const { uploads, pipeline, model } = await seed.succeededWithoutModel(anOwner());
  await seed.run((r) => r.models.insert(model));
  return { uploads, pipeline, model };
}

const statusOf = async (id: PipelineId): Promise<string | undefined> =>
  (await sql.query<{ status: string }>('SELECT status FROM pipelines WHERE id = $1', [id])).rows[0]?.status;

describe('outOfBand', () => {
  it('makes a model reference a failed pipeline; a status changed alone leaves the pipeline row unreadable', async () => {
    const { pipeline, model } = await succeededWithModel();
    const toFailed = (client: pg.Client) => client.query(`UPDATE pipelines SET status = 'failed' WHERE id = $1`, [pipeline.id]);
    // Control: the guard trigger refuses it (no edge, no revision step), and so would the models foreign key.
    await expect(toFailed(sql)).rejects.toMatchObject({ code: '23000', message: containing('no edge succeeded -> failed') });
    expect(await statusOf(pipeline.id)).toBe('succeeded');

    await outOfBand(sql, toFailed);
    expect(await statusOf(pipeline.id)).toBe('failed');
    // The role was LOCAL: the same connection has its triggers back.
    await expect(sql.query(`UPDATE pipelines SET status = 'canceled' WHERE id = $1`, [pipeline.id])).rejects.toMatchObject({ code: '23000' });

    // The model row is untouched and reads back; the pipeline row does not, since a failed
    // pipeline's state must hold a `failure`, which the succeeded one never had.
    expect((await read((r) => r.models.getById(model.id)))._unsafeUnwrap()).toEqual(model);
    expect((await read((r) => r.models.findByPipeline(pipeline.id)))._unsafeUnwrap()).toEqual(model);
    const unreadable = (await read((r) => r.pipelines.getById(pipeline.id)))._unsafeUnwrapErr();
    // What the audit gets for such a row: the write-refusal code, the reason only in `detail`.
    expect(unreadable).toMatchObject({ code: 'persistence.corrupt', detail: containing(`stored state of pipeline ${pipeline.id} is malformed`) });
    expect(unreadable.detail).toMatch(/"path": \[\s*"failure"\s*\][\s\S]*expected object, received undefined/);
    expect((await read((r) => r.pipelines.listByOwner(pipeline.ownerId)))._unsafeUnwrapErr().code).toBe('persistence.corrupt');
  });

  it('makes a model reference a failed pipeline that reads back, when the failure is written with the status', async () => {
    const { pipeline, model } = await succeededWithModel();
    const failure = { step: 'train', code: 'verify.hash_mismatch', message: 'planted by a test' };
    await outOfBand(sql, (client) =>
      client.query(`UPDATE pipelines SET status = 'failed', state = state || jsonb_build_object('failure', $2::jsonb) WHERE id = $1`, [
        pipeline.id,
        JSON.stringify(failure),
      ]),
    );
    const stored = (await read((r) => r.pipelines.getById(pipeline.id)))._unsafeUnwrap();
    expect(stored).toMatchObject({ id: pipeline.id, status: 'failed', failure, trainingSet: pipeline.trainingSet, package: pipeline.package });
    expect((await read((r) => r.models.getById(model.id)))._unsafeUnwrap()).toEqual(model);
  });

  it('rewrites the package manifest a succeeded pipeline recorded, and the pipeline still reads back', async () => {
    const { pipeline, model } = await succeededWithModel();
    const foreign = anUpload(anOwner());
    // The manifest lives in state.package.entries ({name, sha256, byteSize}); the training set in pipeline_items.
    const entries = [...pipeline.package.entries.slice(0, -1), { name: 'planted.jpg', sha256: foreign.sha256, byteSize: foreign.byteSize }];
    const rewrite = (client: pg.Client) =>
      client.query(`UPDATE pipelines SET state = jsonb_set(state, '{package,entries}', $2::jsonb) WHERE id = $1`, [pipeline.id, JSON.stringify(entries)]);
    // Control: a write that does not step the revision is refused by the guard trigger.
    await expect(rewrite(sql)).rejects.toMatchObject({ code: '23000', message: containing('advance the revision') });

    await outOfBand(sql, rewrite);
    const stored = (await read((r) => r.pipelines.getById(pipeline.id)))._unsafeUnwrap();
    expect(stored).toEqual({ ...pipeline, package: { ...pipeline.package, entries } });
    expect(stored?.trainingSet).toEqual(pipeline.trainingSet);
    expect((await read((r) => r.models.getById(model.id)))._unsafeUnwrap()).toEqual(model);
  });

  it('backdates an active pipeline, which still reads back', async () => {
    const { p } = await seed.queued(anOwner());
    const old = at(-60 * 24 * 30);
    await outOfBand(sql, (client) => client.query('UPDATE pipelines SET updated_at = $2 WHERE id = $1', [p.id, old]));
    expect((await read((r) => r.pipelines.getById(p.id)))._unsafeUnwrap()).toEqual({ ...p, updatedAt: old });
  });

  it('cannot empty a model training set, which CHECK constraints refuse even with triggers off', async () => {
    const { model } = await succeededWithModel();
    const setTrainingSet = (json: string) => (client: pg.Client) =>
      client.query('UPDATE models SET training_set = $2::jsonb WHERE id = $1', [model.id, json]);
    await expect(outOfBand(sql, setTrainingSet('[]'))).rejects.toMatchObject({ code: '23514', constraint: 'models_training_set_check' });
    expect((await read((r) => r.models.getById(model.id)))._unsafeUnwrap()).toEqual(model);

    // Control: any non-empty set passes out of band (the guard and provenance triggers are off),
    // here one naming another owner's upload, and the model still reads back.
    const foreign = anUpload(anOwner());
    await seed.run((r) => r.uploads.insert(foreign));
    const trainingSet = [{ uploadId: foreign.id, sha256: foreign.sha256 }];
    await outOfBand(sql, setTrainingSet(JSON.stringify(trainingSet)));
    expect((await read((r) => r.models.getById(model.id)))._unsafeUnwrap()).toEqual({ ...model, trainingSet });

    // Such a model must still go into quarantine: provenance is checked when a model is
    // inserted, not on the status change that hides it (migration 1714723200000).
    const forged = { ...model, trainingSet };
    const hidden = { ...forged, status: 'quarantined' as const, quarantineReason: 'audit: model.foreign_upload' };
    expect((await read((r) => r.models.update(hidden)))._unsafeUnwrap()).toMatchObject({ status: 'quarantined', trainingSet });
  });

  it('rolls everything back and rethrows when a statement fails', async () => {
    const { pipeline, model } = await succeededWithModel();
    const attempt = outOfBand(sql, async (client) => {
      await client.query(`UPDATE pipelines SET status = 'failed' WHERE id = $1`, [pipeline.id]);
      await client.query(`UPDATE models SET training_set = '[]'::jsonb WHERE id = $1`, [model.id]);
    });
    await expect(attempt).rejects.toMatchObject({ code: '23514' });
    expect(await statusOf(pipeline.id)).toBe('succeeded');
    expect((await read((r) => r.models.getById(model.id)))._unsafeUnwrap()).toEqual(model);
  });
});
