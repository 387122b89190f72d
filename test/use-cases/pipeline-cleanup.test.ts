import { describe, expect, it } from 'vitest';
import {
  advancePipeline,
  cancelTraining,
  CLEANUP_MAX_DELAY_MS,
  defaultRetryPolicy,
  cleanUpDone,
  packageKey,
  runPipeline,
  transientError,
  type PipelineId,
  type TerminalPipeline,
  type TrainingPipeline,
} from '@selfie-lora/core';
import { errAsync, ResultAsync } from 'neverthrow';
import type { CoreDeps, ObjectStore, Packager } from '@selfie-lora/core';
import type { MemoryCore } from '@selfie-lora/adapters/memory';
import {
  advanceTo,
  alice,
  bob,
  errorCode,
  memoryCore,
  ownersState,
  packageKeys,
  pipelineAtTrainer,
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

/** Deps whose object store deletes through `remove` (given the real delete). */
function storeDeleting(core: MemoryCore, remove: (key: string, del: ObjectStore['delete']) => ReturnType<ObjectStore['delete']>): CoreDeps {
  const store = core.deps.objects;
  const objects: ObjectStore = {
    put: (key, body, options) => store.put(key, body, options),
    inspect: (key) => store.inspect(key),
    read: (key) => store.read(key),
    delete: (key) => remove(key, (k) => store.delete(k)),
    list: (prefix) => store.list(prefix),
    listPage: (prefix, startAfter, limit) => store.listPage(prefix, startAfter, limit),
    signedGetUrl: (key, ttlSeconds) => store.signedGetUrl(key, ttlSeconds),
    signedPutUrl: (key, ttlSeconds, options) => store.signedPutUrl(key, ttlSeconds, options),
  };
  return { ...core.deps, objects };
}

/** Deps whose object store records the keys it is asked to delete. */
function countingDeletes(core: MemoryCore): { deps: CoreDeps; deletes: string[] } {
  const deletes: string[] = [];
  const deps = storeDeleting(core, (key, del) => {
    deletes.push(key);
    return del(key);
  });
  return { deps, deletes };
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
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    core.trainer.finish(trainingFor(core, pipeline.id).id, 'succeeded');
    core.store.faults.failNext('delete');
    expect(errorCode(await runPipeline(core.deps, pipeline.id))).toBe('storage.unavailable');
    // The outcome itself is recorded; only the clean-up is owed.
    expect(storedPipeline(core, pipeline.id).status).toBe('succeeded');
    expect(packageKeys(core)).toEqual([packageKey(alice, pipeline.id)]);
    expect(await unfinished(core)).toEqual([pipeline.id]);

    // Once its backoff is over (see below).
    core.clock.advance(defaultRetryPolicy.baseDelayMs);
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

// With the trainer or the store refusing (Replicate answering 429), a clean-up retried every poll
// interval, for ever, by every such pipeline, would only make the refusals last.
describe('a clean-up that keeps failing backs off', () => {
  it('each failure pushes the next try further out, up to the cap; nothing is asked before it; a success clears it', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    core.trainer.finish(trainingFor(core, pipeline.id).id, 'succeeded');
    const { deps, deletes } = countingDeletes(core);
    const failures = 14;
    core.store.faults.failNext('delete', failures);
    expect(errorCode(await runPipeline(deps, pipeline.id))).toBe('storage.unavailable');
    const endedAt = storedPipeline(core, pipeline.id).updatedAt;

    const delays: number[] = [];
    for (let failure = 1; failure <= failures; failure += 1) {
      const stored = storedPipeline(core, pipeline.id);
      expect(stored).toMatchObject({ status: 'succeeded', retry: { attempt: failure } });
      // A retry is not progress: the audit still measures the owed clean-up from the end.
      expect(stored.updatedAt).toEqual(endedAt);
      const delay = stored.retry.notBefore!.getTime() - core.clock.now().getTime();
      delays.push(delay);
      expect(await unfinished(core)).toEqual([pipeline.id]);

      const asked = deletes.length;
      core.clock.advance(delay - 1);
      const early = (await advancePipeline(deps, pipeline.id))._unsafeUnwrap();
      expect(early.progressed).toBe(false);
      expect(deletes).toHaveLength(asked);

      core.clock.advance(1);
      const retried = await advancePipeline(deps, pipeline.id);
      expect(deletes).toHaveLength(asked + 1);
      if (failure < failures) expect(errorCode(retried)).toBe('storage.unavailable');
      else expect(retried._unsafeUnwrap().progressed).toBe(true);
    }

    // Exponential from the steps' base delay, capped at an hour: never given up.
    expect(delays[0]).toBe(defaultRetryPolicy.baseDelayMs);
    delays.slice(1).forEach((delay, i) => expect(delay).toBe(Math.min(CLEANUP_MAX_DELAY_MS, 2 * delays[i]!)));
    expect(delays.at(-1)).toBe(CLEANUP_MAX_DELAY_MS);
    expect(CLEANUP_MAX_DELAY_MS).toBeGreaterThan(defaultRetryPolicy.maxDelayMs);

    const cleaned = storedPipeline(core, pipeline.id);
    expect(cleaned.retry).toEqual({ attempt: 0, notBefore: null });
    expect('packageDeletedAt' in cleaned && cleaned.packageDeletedAt).toEqual(core.clock.now());
    expect(packageKeys(core)).toEqual([]);
    expect(await unfinished(core)).toEqual([]);
    expect(core.log.kinds().filter((kind) => kind === 'pipeline.cleanup_retry')).toHaveLength(failures);
  });

  it('a backoff write that loses a race is dropped: the other write stands, and the failure still comes back', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    core.trainer.finish(trainingFor(core, pipeline.id).id, 'succeeded');
    core.store.faults.failNext('delete');
    expect(errorCode(await runPipeline(core.deps, pipeline.id))).toBe('storage.unavailable');
    core.clock.advance(defaultRetryPolicy.baseDelayMs);

    // Another worker finishes the clean-up while this one's delete is failing.
    const otherWorker = () =>
      core.deps.uow.transaction((repos) =>
        repos.pipelines.getById(pipeline.id).andThen((p) => repos.pipelines.update(cleanUpDone(p as TerminalPipeline, core.clock.now()))),
      );
    const deps = storeDeleting(core, () =>
      otherWorker()
        .mapErr((error) => transientError('storage.unavailable', `the other worker's write failed: ${error.code}`))
        .andThen(() => errAsync(transientError('storage.unavailable', 'raced'))),
    );
    expect(errorCode(await advancePipeline(deps, pipeline.id))).toBe('storage.unavailable');
    const stored = storedPipeline(core, pipeline.id);
    expect('packageDeletedAt' in stored && stored.packageDeletedAt).toEqual(core.clock.now());
    expect(stored.retry).toEqual({ attempt: 0, notBefore: null });
  });
});
