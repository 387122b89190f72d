import { describe, expect, it } from 'vitest';
import {
  advancePipeline,
  cancelTraining,
  packageKey,
  runPipeline,
  type PipelineId,
  type TrainingPipeline,
} from '@selfie-lora/core';
import { ResultAsync } from 'neverthrow';
import type { CoreDeps, Packager } from '@selfie-lora/core';
import type { MemoryCore } from '@selfie-lora/adapters';
import {
  advanceTo,
  alice,
  bob,
  errorCode,
  memoryCore,
  ownersState,
  packageKeys,
  startedPipeline,
  storedPipeline,
  trainingFor,
} from '../support/memory-core-fixtures.js';

/** The worker's view: pipelines still owing work (active, or a package to delete). */
async function unfinished(core: MemoryCore): Promise<readonly PipelineId[]> {
  return (await core.deps.uow.transaction((repos) => repos.pipelines.listUnfinished()))._unsafeUnwrap();
}

// Ways for a pipeline that already wrote its package to end; each returns the ended pipeline.
const endings: Record<string, (core: MemoryCore, id: PipelineId) => Promise<TrainingPipeline>> = {
  succeeded: async (core, id) => {
    await advanceTo(core, id, 'training');
    core.trainer.finish(trainingFor(core, id).id, 'succeeded');
    return (await runPipeline(core.deps, id))._unsafeUnwrap();
  },
  'failed at the trainer': async (core, id) => {
    await advanceTo(core, id, 'training');
    core.trainer.finish(trainingFor(core, id).id, 'failed');
    return (await runPipeline(core.deps, id))._unsafeUnwrap();
  },
  'canceled while training': async (core, id) => {
    await advanceTo(core, id, 'training');
    return (await cancelTraining(core.deps, { ownerId: alice, pipelineId: id }))._unsafeUnwrap();
  },
  'canceled before submission': async (core, id) => {
    await advanceTo(core, id, 'submitting');
    return (await cancelTraining(core.deps, { ownerId: alice, pipelineId: id }))._unsafeUnwrap();
  },
  'failed verifying the package': async (core, id) => {
    await advanceTo(core, id, 'verifying_package');
    const key = packageKey(alice, id);
    core.store.setBytes(key, core.store.getBytes(key)!.slice(1));
    return (await runPipeline(core.deps, id))._unsafeUnwrap();
  },
  'refused by the trainer': async (core, id) => {
    await advanceTo(core, id, 'submitting');
    // The trainer cannot download the package it is pointed at.
    (await core.store.delete(packageKey(alice, id)))._unsafeUnwrap();
    return (await runPipeline(core.deps, id))._unsafeUnwrap();
  },
};

/** Deps whose packager finishes writing a moment later, as a streamed S3 upload would. */
function slowPackager(core: MemoryCore): CoreDeps {
  const later = () => ResultAsync.fromSafePromise(new Promise<void>((resolve) => setImmediate(resolve)));
  const packager: Packager = {
    build: (key, sources) => later().andThen(() => core.packager.build(key, sources)),
    readBack: (key) => core.packager.readBack(key),
  };
  return { ...core.deps, packager };
}

describe('the package ZIP is deleted once the pipeline ends', () => {
  it.each(Object.keys(endings))('when %s', async (ending) => {
    const core = memoryCore();
    const { pipeline: bobs } = await startedPipeline(core, bob, [50, 51, 52]);
    await advanceTo(core, bobs.id, 'verifying_package');
    const bobsBefore = ownersState(core, bob);
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);

    const ended = await endings[ending]!(core, pipeline.id);
    expect(['succeeded', 'failed', 'canceled']).toContain(ended.status);
    expect(packageKeys(core)).toEqual([packageKey(bob, bobs.id)]);
    const stored = storedPipeline(core, pipeline.id);
    expect('packageDeletedAt' in stored ? stored.packageDeletedAt : 'missing').toEqual(core.clock.now());
    expect(await unfinished(core)).toEqual([bobs.id]);
    // Another owner's package in flight is not touched by this clean-up.
    expect(ownersState(core, bob)).toEqual(bobsBefore);
  });

  it('a failed deletion is retried by the next advance, and the pipeline stays listed until then', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'training');
    core.trainer.finish(trainingFor(core, pipeline.id).id, 'succeeded');
    core.store.faults.failNext('delete');
    expect(errorCode(await runPipeline(core.deps, pipeline.id))).toBe('storage.unavailable');
    // The outcome itself is recorded; only the clean-up is owed.
    expect(storedPipeline(core, pipeline.id).status).toBe('succeeded');
    expect(packageKeys(core)).toEqual([packageKey(alice, pipeline.id)]);
    expect(await unfinished(core)).toEqual([pipeline.id]);

    const cleaned = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap();
    expect(cleaned.progressed).toBe(true);
    expect(packageKeys(core)).toEqual([]);
    expect(await unfinished(core)).toEqual([]);
    expect((await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().progressed).toBe(false);
  });

  it('a pipeline that failed before packaging has nothing to delete and is not listed', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    core.store.faults.failNext('inspect', 1_000);
    const waiting = (await runPipeline(core.deps, pipeline.id))._unsafeUnwrap();
    expect(waiting.status).toBe('verifying_uploads');
    for (let i = 0; i < 10 && storedPipeline(core, pipeline.id).status !== 'failed'; i += 1) {
      core.clock.advance(60_000);
      (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap();
    }
    expect(storedPipeline(core, pipeline.id).status).toBe('failed');
    expect(await unfinished(core)).toEqual([]);
  });

  // The cancel deletes the package key before the in-flight build finishes writing; the build's
  // save is then refused as stale, and the ZIP it wrote must still be deleted.
  it('a cancel racing the packaging step leaves no ZIP behind', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'packaging');
    const [built, canceled] = await Promise.all([
      advancePipeline(slowPackager(core), pipeline.id),
      cancelTraining(core.deps, { ownerId: alice, pipelineId: pipeline.id }),
    ]);
    expect(canceled._unsafeUnwrap().status).toBe('canceled');
    expect(errorCode(built)).toBe('persistence.conflict');
    // Either the ZIP is gone already, or the worker still has it listed for clean-up.
    const owed = await unfinished(core);
    if (!owed.includes(pipeline.id)) expect(packageKeys(core)).toEqual([]);
    else (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap();
    expect(packageKeys(core)).toEqual([]);
  });
});
