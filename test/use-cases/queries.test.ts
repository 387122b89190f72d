import { describe, expect, it } from 'vitest';
import { okAsync } from 'neverthrow';
import { createMemoryCore, FakeFaceInspector, oneFace } from '@selfie-lora/adapters/memory';
import {
  acceptUpload,
  applyTrainerReport,
  checkDueUploads,
  getTraining,
  listOwnerPhotos,
  PipelineId,
  listModels,
  listTrainings,
  listUploads,
  quarantine,
  type Model,
  type OwnerId,
  type TrainingPipeline,
} from '@selfie-lora/core';
import { photo, streamOf } from '@selfie-lora/testkit/photos';
import type { MemoryCore } from '@selfie-lora/adapters/memory';
import {
  alice,
  bob,
  errorCode,
  expectUnchanged,
  memoryCore,
  pipelineAtTrainer,
  startedPipeline,
  storedState,
  trainingFor,
} from '../support/memory-core-fixtures.js';
import { withRepositories } from '../support/rewritten-repositories.js';

async function trainedModel(core: MemoryCore, ownerId: OwnerId, seeds: readonly number[]): Promise<Model> {
  const { pipeline } = await pipelineAtTrainer(core, ownerId, seeds);
  const outcome = (await applyTrainerReport(core.deps, core.trainer.finish(trainingFor(core, pipeline.id).id, 'succeeded')))._unsafeUnwrap();
  return outcome.model!;
}

async function quarantined(core: MemoryCore, model: Model): Promise<Model> {
  return (await core.deps.uow.transaction((repos) => repos.models.update(quarantine(model, 'audit: foreign training set'))))._unsafeUnwrap();
}

describe('queries are scoped to their owner', () => {
  it("listModels returns the owner's models only, never another owner's", async () => {
    const core = memoryCore();
    const alices = await trainedModel(core, alice, [1, 2, 3]);
    const bobs = await trainedModel(core, bob, [4, 5, 6]);
    expect((await listModels(core.deps, alice))._unsafeUnwrap()).toEqual([alices]);
    expect((await listModels(core.deps, bob))._unsafeUnwrap()).toEqual([bobs]);
  });

  it('listModels never serves a quarantined model', async () => {
    const core = memoryCore();
    const model = await trainedModel(core, alice, [1, 2, 3]);
    const bobs = await trainedModel(core, bob, [4, 5, 6]);
    await quarantined(core, model);
    const before = storedState(core);
    expect((await listModels(core.deps, alice))._unsafeUnwrap()).toEqual([]);
    expect((await listModels(core.deps, bob))._unsafeUnwrap()).toEqual([bobs]);
    expectUnchanged(core, before);
  });

  it('getTraining shows the model, but not once it is quarantined', async () => {
    const core = memoryCore();
    const model = await trainedModel(core, alice, [1, 2, 3]);
    const shown = (await getTraining(core.deps, alice, model.pipelineId))._unsafeUnwrap();
    expect(shown.pipeline.status).toBe('succeeded');
    expect(shown.model).toEqual(model);
    await quarantined(core, model);
    expect((await getTraining(core.deps, alice, model.pipelineId))._unsafeUnwrap().model).toBeNull();
  });

  it("getTraining of another owner's training answers training.not_found", async () => {
    const core = memoryCore();
    const bobs = await trainedModel(core, bob, [4, 5, 6]);
    const before = storedState(core);
    expect(errorCode(await getTraining(core.deps, alice, bobs.pipelineId))).toBe('training.not_found');
    expectUnchanged(core, before);
  });

  it("listTrainings and listUploads show nothing of another owner's", async () => {
    const core = memoryCore();
    await trainedModel(core, bob, [4, 5, 6]);
    const { pipeline, uploads } = await startedPipeline(core, alice, [1, 2, 3]);
    expect((await listTrainings(core.deps, alice))._unsafeUnwrap().map((p) => p.id)).toEqual([pipeline.id]);
    expect((await listUploads(core.deps, alice))._unsafeUnwrap()).toEqual(uploads);
  });

  it('getTraining of a training still running shows it without a model', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    expect((await getTraining(core.deps, alice, pipeline.id))._unsafeUnwrap()).toEqual({ pipeline, model: null });
  });

  it('getTraining of an unknown training names it', async () => {
    const core = memoryCore();
    const missing = (await getTraining(core.deps, alice, PipelineId.parse('id-404')._unsafeUnwrap()))._unsafeUnwrapErr();
    expect(missing).toMatchObject({ code: 'training.not_found', detail: 'pipeline id-404' });
  });

  it('listModels serves a model only with its owner’s succeeded training behind it, whatever the repositories answer', async () => {
    const core = memoryCore();
    const alices = await trainedModel(core, alice, [1, 2, 3]);
    await trainedModel(core, bob, [4, 5, 6]);
    // Repositories that leak Bob's rows into Alice's reads.
    const leaking = withRepositories(core.deps.uow, (repos) => ({
      ...repos,
      pipelines: { ...repos.pipelines, listByOwner: (id) => repos.pipelines.listByOwner(id).andThen((own) => repos.pipelines.listByOwner(bob).map((other) => [...own, ...other])) },
      models: { ...repos.models, listByOwner: (id) => repos.models.listByOwner(id).andThen((own) => repos.models.listByOwner(bob).map((other) => [...own, ...other])) },
    }));
    expect((await listModels({ ...core.deps, uow: leaking }, alice))._unsafeUnwrap()).toEqual([alices]);
    // A training read as not succeeded (a stale or damaged row) serves no model.
    const unfinished = withRepositories(core.deps.uow, (repos) => ({
      ...repos,
      pipelines: { ...repos.pipelines, listByOwner: (id) => repos.pipelines.listByOwner(id).map((own) => own.map((p) => ({ ...p, status: 'training' }) as TrainingPipeline)) },
    }));
    expect((await listModels({ ...core.deps, uow: unfinished }, alice))._unsafeUnwrap()).toEqual([]);
  });

  it('listOwnerPhotos lists a photo once, stored, when its pending row was read before the worker stored it', async () => {
    const core = createMemoryCore({ config: { minPhotos: 1, checkPhotosAfterAnswer: true }, faces: new FakeFaceInspector((p) => oneFace(p, 0)) });
    const accepted = (await acceptUpload(core.deps, { ownerId: alice, body: streamOf(await photo(1)) }))._unsafeUnwrap();
    const before = (await listOwnerPhotos(core.deps, alice))._unsafeUnwrap().pending;
    expect(before.map((p) => p.id)).toEqual([accepted.kind === 'pending' ? accepted.pending.id : 'judged before the answer']);
    expect((await checkDueUploads(core.deps, { limit: 8, atOnce: 1 }))._unsafeUnwrap()).toMatchObject({ stored: 1 });
    // The pending rows as read just before the worker's commit (READ COMMITTED), the uploads after it.
    const stale = withRepositories(core.deps.uow, (repos) => ({ ...repos, pendingUploads: { ...repos.pendingUploads, listByOwner: () => okAsync(before) } }));
    const listed = (await listOwnerPhotos({ ...core.deps, uow: stale }, alice))._unsafeUnwrap();
    expect(listed.pending).toEqual([]);
    expect(listed.uploads.map((u) => u.id)).toEqual(before.map((p) => p.id));
  });
});
