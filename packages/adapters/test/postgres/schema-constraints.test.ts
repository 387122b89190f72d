import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { ALLOWED_TRANSITIONS, PIPELINE_STATUSES, type Model, type OwnerId, type Upload } from '@selfie-lora/core';
import type { PostgresDatabase } from '../../src/postgres/index.js';
import { anOwner, aPipelineId, anUpload, failed, shaOf } from '../contracts/repositories.fixtures.js';
import { Seed } from './support/seed.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

// Each rule is shown with raw SQL that bypasses the repositories: the schema itself refuses the
// bad row, and the same statement with a good value (the control) is accepted.

/** Typed as unknown so the matcher can sit in an object literal. */
const containing = (text: string): unknown => expect.stringContaining(text);

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

/** Runs statements in one transaction, always rolled back: each test leaves no rows behind. */
async function attempt(statements: (client: pg.Client) => Promise<unknown>): Promise<unknown> {
  await sql.query('BEGIN');
  try {
    await statements(sql);
    return null;
  } catch (error) {
    return error;
  } finally {
    await sql.query('ROLLBACK');
  }
}

/** Like `attempt`, but commits, so deferred constraints are checked too. */
async function attemptCommitted(statements: (client: pg.Client) => Promise<unknown>): Promise<unknown> {
  await sql.query('BEGIN');
  try {
    await statements(sql);
    await sql.query('COMMIT');
    return null;
  } catch (error) {
    await sql.query('ROLLBACK');
    return error;
  }
}

const EMPTY_STATE = JSON.stringify({ steps: [], retry: { attempt: 0, notBefore: null } });

function insertPipeline(client: pg.Client, fields: { id?: string; owner: OwnerId; status?: string; itemCount?: number }) {
  return client.query(
    `INSERT INTO pipelines (id, owner_id, status, revision, item_count, destination_owner, destination_name, trigger_word, state,
       created_at, updated_at, trainer_training_id)
     VALUES ($1, $2, $3, 0, $4, 'acme', 'dest', 'TOK', $5, now(), now(), $6)`,
    [fields.id ?? aPipelineId(), fields.owner, fields.status ?? 'queued', fields.itemCount ?? 1, EMPTY_STATE, fields.status === 'succeeded' ? `trn-${Math.random()}` : null],
  );
}

function insertItem(client: pg.Client, fields: { pipelineId: string; owner: OwnerId; upload: Upload; position?: number; itemCount?: number }) {
  const { upload } = fields;
  return client.query(
    `INSERT INTO pipeline_items (pipeline_id, owner_id, upload_id, position, item_count, sha256, byte_size, content_type)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [fields.pipelineId, fields.owner, upload.id, fields.position ?? 0, fields.itemCount ?? 1, upload.sha256, upload.byteSize, upload.contentType],
  );
}

function insertModel(client: pg.Client, model: Model, overrides: Record<string, unknown> = {}) {
  const row: Record<string, unknown> = {
    id: model.id,
    owner_id: model.ownerId,
    pipeline_id: model.pipelineId,
    destination_owner: model.destination.owner,
    destination_name: model.destination.name,
    version: model.version,
    status: model.status,
    training_set: JSON.stringify(model.trainingSet),
    created_at: model.createdAt,
    revision: 0,
    ...overrides,
  };
  const columns = Object.keys(row);
  return client.query(
    `INSERT INTO models (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
    Object.values(row),
  );
}

describe('I1: a training set holds only its owner uploads', () => {
  it('refuses an item naming another owner upload, under either owner id', async () => {
    const [alice, bob] = [anOwner(), anOwner()];
    const [mine] = await seed.uploads(alice, 1);
    const [theirs] = await seed.uploads(bob, 1);
    const id = aPipelineId();
    const withItem = (upload: Upload, owner: OwnerId) => (client: pg.Client) =>
      insertPipeline(client, { id, owner: alice }).then(() => insertItem(client, { pipelineId: id, owner, upload }));
    expect(await attemptCommitted(withItem(mine!, alice))).toBeNull();
    await sql.query(`UPDATE pipelines SET status = 'canceled', revision = revision + 1 WHERE id = $1`, [id]);
    const other = aPipelineId();
    const withOther = (upload: Upload, owner: OwnerId) => (client: pg.Client) =>
      insertPipeline(client, { id: other, owner: alice }).then(() => insertItem(client, { pipelineId: other, owner, upload }));
    expect(await attempt(withOther(theirs!, alice))).toMatchObject({ code: '23503', constraint: 'pipeline_items_upload_fkey' });
    expect(await attempt(withOther(theirs!, bob))).toMatchObject({ code: '23503', constraint: 'pipeline_items_pipeline_fkey' });
  });

  it('commits a pipeline only with its whole training set, and never changes it afterwards', async () => {
    const owner = anOwner();
    const uploads = await seed.uploads(owner, 2);
    const id = aPipelineId();
    // Declared two photos, holds one: refused at commit by the deferred check.
    const short = await attemptCommitted((client) =>
      insertPipeline(client, { id, owner, itemCount: 2 }).then(() => insertItem(client, { pipelineId: id, owner, upload: uploads[0]!, itemCount: 2 })),
    );
    expect(short).toMatchObject({ code: '23000', message: containing('training set does not hold') });

    const { p, uploads: setPhotos } = await seed.queued(anOwner());
    const extra = (await seed.uploads(p.ownerId, 1))[0]!;
    const late = (position: number) => (client: pg.Client) =>
      insertItem(client, { pipelineId: p.id, owner: p.ownerId, upload: extra, position, itemCount: setPhotos.length });
    expect(await attempt(late(setPhotos.length))).toMatchObject({ code: '23514', constraint: 'pipeline_items_position_in_set' });
    expect(await attempt(late(0))).toMatchObject({ code: '23505', constraint: 'pipeline_items_pipeline_id_position_key' });
    expect(await attempt((client) => client.query('DELETE FROM pipeline_items WHERE pipeline_id = $1', [p.id]))).toMatchObject({ code: '23000' });
    expect(await attempt((client) => client.query('UPDATE pipeline_items SET upload_id = $2 WHERE pipeline_id = $1', [p.id, extra.id]))).toMatchObject({
      code: '23000',
    });
  });
});

describe('I6: a model belongs to the succeeded pipeline of its owner, with its training set', () => {
  it('accepts the model the pipeline produced, and refuses every variation', async () => {
    const owner = anOwner();
    const { model } = await seed.succeededWithoutModel(owner);
    const { p: training } = await seed.training(anOwner());
    const ended = await seed.save(failed((await seed.training(anOwner())).p));
    const { pipeline: bobs } = await seed.succeededWithoutModel(anOwner());

    expect(await attempt((client) => insertModel(client, model))).toBeNull();
    const refusals: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ pipeline_id: ended.id, owner_id: ended.ownerId }, { code: '23503', constraint: 'models_pipeline_fkey' }],
      [{ pipeline_id: training.id, owner_id: training.ownerId }, { code: '23503', constraint: 'models_pipeline_fkey' }],
      [{ pipeline_id: bobs.id }, { code: '23503', constraint: 'models_pipeline_fkey' }],
      [{ pipeline_status: 'failed' }, { code: '23514', constraint: 'models_pipeline_status_check' }],
      [{ training_set: '[]' }, { code: '23514', constraint: 'models_training_set_check' }],
      [{ training_set: '{}' }, { code: '23514', constraint: 'models_training_set_check' }],
      [{ training_set: JSON.stringify(model.trainingSet.slice(1)) }, { code: '23000' }],
      [{ training_set: JSON.stringify([{ uploadId: anUpload(owner).id, sha256: shaOf('x') }, ...model.trainingSet.slice(1)]) }, { code: '23000' }],
      [{ version: `acme/another-model:${shaOf('v')}` }, { code: '23514', constraint: 'models_version_at_destination' }],
      [{ version: `${model.destination.owner}/${model.destination.name}:abc` }, { code: '23000' }],
      [{ id: 'model-not-recorded' }, { code: '23000' }],
    ];
    for (const [overrides, refusal] of refusals) {
      expect(await attempt((client) => insertModel(client, model, overrides)), JSON.stringify(overrides)).toMatchObject(refusal);
    }
  });

  it('keeps a stored model bound to its owner, pipeline, version and training set', async () => {
    const { model } = await seed.succeededWithoutModel(anOwner());
    await seed.run((r) => r.models.insert(model));
    const update = (set: string) => attempt((client) => client.query(`UPDATE models SET ${set}, revision = revision + 1 WHERE id = $1`, [model.id]));
    expect(await update(`status = 'quarantined', quarantine_reason = 'audit'`)).toBeNull();
    expect(await update(`owner_id = 'someone-else'`)).toMatchObject({ code: '23000' });
    expect(await update(`version = version || '0'`)).toMatchObject({ code: '23000' });
    expect(await update(`training_set = training_set - 0`)).toMatchObject({ code: '23000' });
    expect(await update(`status = 'quarantined'`)).toMatchObject({ code: '23514', constraint: 'models_quarantine_reason_check' });
  });
});

describe('I5: a pipeline keeps the training it was submitted as', () => {
  it('refuses pointing a training pipeline at another training, before and after it succeeded', async () => {
    const { p } = await seed.training(anOwner());
    const { pipeline: done } = await seed.succeededWithoutModel(anOwner());
    const update = (set: string, id: string) =>
      attempt((client) => client.query(`UPDATE pipelines SET ${set}, revision = revision + 1 WHERE id = $1`, [id]));
    for (const id of [p.id, done.id]) {
      expect(await update(`trainer_training_id = 'strangers-training'`, id)).toMatchObject({ code: '23000', message: containing('keeps its training') });
      expect(await update(`trainer_training_id = NULL`, id)).toMatchObject({ code: '23000' });
    }
    // Control: the same statement that keeps the id passes.
    expect(await update(`trainer_training_id = trainer_training_id`, p.id)).toBeNull();
  });
});

describe('I8: one active pipeline per owner', () => {
  it('refuses a second non-terminal pipeline for an owner, not one for another owner', async () => {
    const { p } = await seed.queued(anOwner());
    const [photo] = await seed.uploads(p.ownerId, 1);
    const second = (owner: OwnerId, upload: Upload, status = 'verifying_uploads') => (client: pg.Client) => {
      const id = aPipelineId();
      return insertPipeline(client, { id, owner, status }).then(() => insertItem(client, { pipelineId: id, owner, upload }));
    };
    expect(await attempt(second(p.ownerId, photo!))).toMatchObject({ code: '23505', constraint: 'pipelines_one_active_per_owner' });
    expect(await attempt(second(p.ownerId, photo!, 'canceled'))).toBeNull();
    const other = anOwner();
    const [theirs] = await seed.uploads(other, 1);
    expect(await attempt(second(other, theirs!))).toBeNull();
  });
});

describe('I7: status moves only along allowed edges', () => {
  it('holds exactly the core transition table and statuses', async () => {
    const edges = await sql.query<{ from_status: string; to_status: string }>('SELECT from_status, to_status FROM pipeline_transitions');
    const stored = edges.rows.map((e) => `${e.from_status}->${e.to_status}`).sort();
    const core = Object.entries(ALLOWED_TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}->${to}`)).sort();
    expect(stored).toEqual(core);
    const check = await sql.query<{ def: string }>(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'pipelines_status_check'`);
    const listed = [...check.rows[0]!.def.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort();
    expect(listed).toEqual([...PIPELINE_STATUSES].sort());
  });

  it('refuses a skipped edge, a move out of a terminal state, and a change of owner or destination', async () => {
    const { p } = await seed.queued(anOwner());
    const update = (set: string, id: string = p.id) =>
      attempt((client) => client.query(`UPDATE pipelines SET ${set}, revision = revision + 1 WHERE id = $1`, [id]));
    expect(await update(`status = 'verifying_uploads'`)).toBeNull();
    expect(await update(`status = 'packaging'`)).toMatchObject({ code: '23000', message: containing('no edge queued -> packaging') });
    expect(await update(`status = 'training', trainer_training_id = 'trn-x'`)).toMatchObject({ code: '23000' });
    expect(await update(`owner_id = 'someone-else'`)).toMatchObject({ code: '23000' });
    expect(await update(`destination_name = 'another-model'`)).toMatchObject({ code: '23000' });
    // (`state`: the trigger word has a guard of its own, which would answer first.)
    expect(await attempt((client) => client.query(`UPDATE pipelines SET state = state WHERE id = $1`, [p.id]))).toMatchObject({
      code: '23000',
      message: containing('revision'),
    });

    const ended = await seed.save(failed(p));
    expect(await update(`status = 'queued'`, ended.id)).toMatchObject({ code: '23000', message: containing('no edge failed -> queued') });
    expect(await update(`status = 'canceled'`, ended.id)).toMatchObject({ code: '23000' });
    expect(await update(`state = state || '{"packageDeletedAt": "2024-05-01T10:00:00.000Z"}'`, ended.id)).toBeNull();
  });
});

describe('uploads', () => {
  it('refuses a second stored copy of the same bytes for one owner, and malformed values', async () => {
    const owner = anOwner();
    const [upload] = await seed.uploads(owner, 1);
    const insert = (fields: Partial<Record<'owner_id' | 'status' | 'content_type' | 'byte_size' | 'sha256' | 'deleted_at', unknown>>) =>
      attempt((client) => {
        const copy = anUpload(owner);
        const row = { id: copy.id, owner_id: owner, status: 'stored', content_type: 'image/png', byte_size: 10, sha256: copy.sha256, width: 300, height: 300, created_at: new Date(), deleted_at: null, revision: 0, ...fields };
        const columns = Object.keys(row);
        return client.query(`INSERT INTO uploads (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(row));
      });
    expect(await insert({})).toBeNull();
    expect(await insert({ sha256: upload!.sha256 })).toMatchObject({ code: '23505', constraint: 'uploads_one_stored_per_owner_sha256' });
    expect(await insert({ sha256: upload!.sha256, status: 'deleted', deleted_at: new Date() })).toBeNull();
    expect(await insert({ sha256: upload!.sha256, owner_id: anOwner() })).toBeNull();
    expect(await insert({ sha256: 'A'.repeat(64) })).toMatchObject({ code: '23514' });
    expect(await insert({ byte_size: 0 })).toMatchObject({ code: '23514', constraint: 'uploads_byte_size_check' });
    expect(await insert({ content_type: 'image/gif' })).toMatchObject({ code: '23514' });
    expect(await insert({ status: 'deleted' })).toMatchObject({ code: '23514', constraint: 'uploads_deleted_at_check' });
    expect(await insert({ owner_id: 'not an id' })).toMatchObject({ code: '23514' });
  });

  it('refuses to undelete an upload or change its content', async () => {
    const [upload] = await seed.uploads(anOwner(), 1);
    await sql.query(`UPDATE uploads SET status = 'deleted', deleted_at = now(), revision = revision + 1 WHERE id = $1`, [upload!.id]);
    const update = (set: string) => attempt((client) => client.query(`UPDATE uploads SET ${set}, revision = revision + 1 WHERE id = $1`, [upload!.id]));
    expect(await update(`status = 'stored', deleted_at = null`)).toMatchObject({ code: '23000' });
    expect(await update(`sha256 = '${shaOf('other bytes')}'`)).toMatchObject({ code: '23000' });
    expect(await update(`source_sha256 = '${shaOf('other bytes sent')}'`)).toMatchObject({ code: '23000' });
  });

  it('dedups on the bytes sent, defaults them to the bytes stored, and erases the face embedding with the photo', async () => {
    const owner = anOwner();
    const [upload] = await seed.uploads(owner, 1);
    const row = (id: string) => sql.query<{ source_sha256: string; face_embedding: number[] | null }>('SELECT source_sha256, face_embedding FROM uploads WHERE id = $1', [id]);
    expect((await row(upload!.id)).rows[0]!.source_sha256).toBe(upload!.sha256);
    const copy = anUpload(owner);
    const insert = (sourceSha: string) =>
      attemptCommitted((client) =>
        client.query(
          `INSERT INTO uploads (id, owner_id, status, content_type, byte_size, sha256, source_sha256, width, height, created_at, revision, face_embedding)
           VALUES ($1, $2, 'stored', 'image/jpeg', 10, $3, $4, 300, 300, now(), 0, '{0.5,0.25}')`,
          [copy.id, owner, copy.sha256, sourceSha],
        ),
      );
    expect(await insert(upload!.sha256)).toMatchObject({ code: '23505', constraint: 'uploads_one_stored_per_owner_source_sha256' });
    expect(await insert(shaOf('sent once'))).toBeNull();
    expect((await row(copy.id)).rows[0]!.face_embedding).toEqual([0.5, 0.25]);
    await sql.query(`UPDATE uploads SET status = 'deleted', deleted_at = now(), revision = revision + 1 WHERE id = $1`, [copy.id]);
    expect((await row(copy.id)).rows[0]!.face_embedding).toBeNull();
  });

  it('refuses a stale revision through the repository as persistence.conflict', async () => {
    const owner = anOwner();
    const [upload] = await seed.uploads(owner, 1);
    const first = await db.transaction((r) => r.uploads.update({ ...upload!, width: 2000 }));
    expect(first._unsafeUnwrap().revision).toBe(1);
    const stale = await db.transaction((r) => r.uploads.update({ ...upload!, height: 2000 }));
    expect(stale._unsafeUnwrapErr().code).toBe('persistence.conflict');
    const row = await sql.query<{ width: number; height: number; revision: number }>('SELECT width, height, revision FROM uploads WHERE id = $1', [upload!.id]);
    expect(row.rows[0]).toEqual({ width: 2000, height: upload!.height, revision: 1 });
  });
});
