import { describe, expect, it, vi } from 'vitest';
import { createMemoryCore, versionFor } from '@selfie-lora/adapters/memory';
import { advancePipeline, OwnerId, PipelineId, registerUpload, runPipeline, startTraining, listModels } from '@selfie-lora/core';
import { photo, streamOf } from '@selfie-lora/testkit/photos';

const alice = OwnerId.parse('alice')._unsafeUnwrap();

describe('a training from upload to model (in memory)', () => {
  it('trains on exactly the owner photos and records the exact version', async () => {
    const core = createMemoryCore({ config: { minPhotos: 3 } });
    const shas: string[] = [];
    for (const seed of [1, 2, 3]) {
      const registered = (await registerUpload(core.deps, { ownerId: alice, body: streamOf(await photo(seed)) }))._unsafeUnwrap();
      shas.push(registered.upload.sha256);
    }
    const started = (await startTraining(core.deps, { ownerId: alice }))._unsafeUnwrap();
    const waiting = (await runPipeline(core.deps, started.pipeline.id))._unsafeUnwrap();
    expect(waiting.status).toBe('training');
    const training = [...core.trainer.trainings.values()][0]!;
    expect([...training.receivedImages].sort()).toEqual([...shas].sort());
    core.trainer.finish(training.id, 'succeeded');
    const done = (await runPipeline(core.deps, started.pipeline.id))._unsafeUnwrap();
    expect(done.status).toBe('succeeded');
    const models = (await listModels(core.deps, alice))._unsafeUnwrap();
    expect(models).toHaveLength(1);
    expect(models[0]!.version).toBe(versionFor(training.destination, training.receivedImages));
    expect(core.store.keys().filter((k) => k.startsWith('trainings/'))).toEqual([]);
  });
});

describe('advancing a pipeline: one step a call, and no more than asked', () => {
  async function started() {
    const core = createMemoryCore({ config: { minPhotos: 3 } });
    for (const seed of [1, 2, 3]) (await registerUpload(core.deps, { ownerId: alice, body: streamOf(await photo(seed)) }))._unsafeUnwrap();
    return { core, id: (await startTraining(core.deps, { ownerId: alice }))._unsafeUnwrap().pipeline.id };
  }

  it('runPipeline takes at most the steps it is given', async () => {
    const { core, id } = await started();
    // queued -> verifying_uploads -> packaging: two steps.
    expect((await runPipeline(core.deps, id, 2))._unsafeUnwrap().status).toBe('packaging');
    expect((await runPipeline(core.deps, id, 1))._unsafeUnwrap().status).toBe('verifying_package');
  });

  it('runPipeline stops once the pipeline waits: the trainer is asked once, not again and again', async () => {
    const { core, id } = await started();
    expect((await runPipeline(core.deps, id))._unsafeUnwrap().status).toBe('training');
    const gets = vi.spyOn(core.trainer, 'get');
    expect((await runPipeline(core.deps, id))._unsafeUnwrap().status).toBe('training');
    expect(gets).toHaveBeenCalledTimes(1);
  });

  it('an id no pipeline has is training.not_found, naming the id', async () => {
    const { core } = await started();
    const unknown = PipelineId.parse('no-such-pipeline')._unsafeUnwrap();
    expect((await advancePipeline(core.deps, unknown))._unsafeUnwrapErr()).toMatchObject({ code: 'training.not_found', detail: 'pipeline no-such-pipeline' });
  });
});
