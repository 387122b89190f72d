import { describe, expect, it } from 'vitest';
import { markDeleted, type Model, type Repositories, type TrainingPipeline } from '@selfie-lora/core';
import type { ResultAsync } from 'neverthrow';
import { MemoryDatabase } from '../../src/memory/memory-database.js';
import { Seed } from '../postgres/support/seed.js';
import { describeRepositoryContract } from './repositories.contract.js';
import { anOwner, anUpload, at, failed, succeeded } from './repositories.fixtures.js';

describeRepositoryContract('in memory', () => {
  const uow = new MemoryDatabase();
  return Promise.resolve({
    uow,
    eraseOutOfBand: (table, ownerId) =>
      uow.tamper((tables) => {
        const rows = tables[table];
        for (const [id, row] of rows) if (row.ownerId === ownerId) rows.delete(id);
      }),
    close: () => Promise.resolve(),
  });
});

// `tamper` plants what the audit looks for, states the repositories refuse to write (each shown
// refused first), and the repositories read the planted rows back as they are.
describe('MemoryDatabase.tamper', () => {
  const answer = <T>(db: MemoryDatabase, work: (r: Repositories) => ResultAsync<T, unknown>) => db.transaction(work);
  const value = async <T>(db: MemoryDatabase, work: (r: Repositories) => ResultAsync<T, unknown>): Promise<T> =>
    (await answer(db, work))._unsafeUnwrap();
  const refusal = async <T>(db: MemoryDatabase, work: (r: Repositories) => ResultAsync<T, unknown>): Promise<unknown> =>
    (await answer(db, work))._unsafeUnwrapErr();

  async function withModel(db: MemoryDatabase) {
    const seed = new Seed(db);
    const { p } = await seed.training(anOwner());
    const done = succeeded(p);
    const pipeline = await seed.save(done.pipeline);
    const model = await seed.run((r) => r.models.insert(done.model));
    return { seed, inTraining: p, pipeline, model };
  }

  it('plants a model whose pipeline is missing, or not succeeded', async () => {
    const db = new MemoryDatabase();
    const { inTraining, pipeline, model } = await withModel(db);
    // The same pipeline as if it had failed in training instead.
    const notSucceeded: TrainingPipeline = { ...failed(inTraining), revision: pipeline.revision };
    expect(await refusal(db, (r) => r.pipelines.update(notSucceeded))).toMatchObject({ code: 'persistence.constraint' });

    await db.tamper((tables) => tables.pipelines.set(pipeline.id, notSucceeded));
    expect(await value(db, (r) => r.pipelines.getById(pipeline.id))).toEqual(notSucceeded);
    expect(await value(db, (r) => r.models.getById(model.id))).toEqual(model);

    await db.tamper((tables) => tables.pipelines.delete(pipeline.id));
    expect(await value(db, (r) => r.pipelines.getById(pipeline.id))).toBeNull();
    expect(await value(db, (r) => r.models.getById(model.id))).toEqual(model);
  });

  it('plants a model with an empty training set, or one naming another owner upload', async () => {
    const db = new MemoryDatabase();
    const { model } = await withModel(db);
    const empty: Model = { ...model, trainingSet: [] };
    expect(await refusal(db, (r) => r.models.update(empty))).toMatchObject({ code: 'persistence.constraint' });
    await db.tamper((tables) => tables.models.set(model.id, empty));
    expect(await value(db, (r) => r.models.getById(model.id))).toEqual(empty);

    const foreign = anUpload(anOwner());
    await value(db, (r) => r.uploads.insert(foreign));
    const stolen: Model = { ...model, trainingSet: [...model.trainingSet, { uploadId: foreign.id, sha256: foreign.sha256 }] };
    await db.tamper((tables) => tables.models.set(model.id, stolen));
    expect(await value(db, (r) => r.models.listByOwner(model.ownerId))).toEqual([stolen]);
  });

  it('plants a pipeline whose package manifest differs from its training set', async () => {
    const db = new MemoryDatabase();
    const { pipeline } = await withModel(db);
    if (pipeline.status !== 'succeeded') throw new Error('seed gave no succeeded pipeline');
    const entries = pipeline.package.entries.slice(1);
    const rewritten: TrainingPipeline = { ...pipeline, package: { ...pipeline.package, entries } };
    await db.tamper((tables) => tables.pipelines.set(pipeline.id, rewritten));
    const stored = await value(db, (r) => r.pipelines.getById(pipeline.id));
    expect(stored).toEqual(rewritten);
    expect(stored && 'package' in stored ? stored.package?.entries : null).toHaveLength(pipeline.trainingSet.items.length - 1);
  });

  it('plants an upload row and a pipeline stuck in an active state since long ago', async () => {
    const db = new MemoryDatabase();
    const { seed } = await withModel(db);
    const { p, uploads } = await seed.queued(anOwner());
    const twin = { ...anUpload(p.ownerId), sha256: uploads[0]!.sha256 };
    expect(await refusal(db, (r) => r.uploads.insert(twin))).toMatchObject({ code: 'persistence.conflict' });
    await db.tamper((tables) => tables.uploads.set(twin.id, twin));
    expect(await value(db, (r) => r.uploads.get(p.ownerId, twin.id))).toEqual(twin);

    const stuck: TrainingPipeline = { ...p, updatedAt: at(-60 * 24 * 30) };
    await db.tamper((tables) => tables.pipelines.set(p.id, stuck));
    expect(await value(db, (r) => r.pipelines.findActive(p.ownerId))).toEqual(stuck);
    expect(await value(db, (r) => r.pipelines.listUnfinished())).toContain(p.id);
  });

  it('runs between transactions in call order, and changes nothing when the edit throws', async () => {
    const db = new MemoryDatabase();
    const upload = anUpload(anOwner());
    await value(db, (r) => r.uploads.insert(upload));
    const deleted = { ...markDeleted(upload, at(1)), revision: 1 };
    // Not awaited on purpose: the transaction called next must still see it.
    const planted = db.tamper((tables) => tables.uploads.set(upload.id, deleted));
    expect(await value(db, (r) => r.uploads.get(upload.ownerId, upload.id))).toEqual(deleted);
    await planted;

    await expect(
      db.tamper((tables) => {
        tables.uploads.delete(upload.id);
        throw new Error('edit failed');
      }),
    ).rejects.toThrow('edit failed');
    expect(await value(db, (r) => r.uploads.get(upload.ownerId, upload.id))).toEqual(deleted);
  });
});
