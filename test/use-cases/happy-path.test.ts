import { describe, expect, it } from 'vitest';
import { createMemoryCore, versionFor } from '@selfie-lora/adapters/memory';
import { OwnerId, registerUpload, runPipeline, startTraining, listModels } from '@selfie-lora/core';
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
