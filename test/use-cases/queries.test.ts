import { describe, expect, it } from 'vitest';
import {
  applyTrainerReport,
  getTraining,
  listModels,
  listTrainings,
  listUploads,
  quarantine,
  type Model,
  type OwnerId,
} from '@selfie-lora/core';
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
});
