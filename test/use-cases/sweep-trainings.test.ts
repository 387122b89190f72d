import { describe, expect, it, vi } from 'vitest';
import { okAsync, errAsync } from 'neverthrow';
import { CLOCK_SKEW_MS, domainError, listModels, sweepTrainings, type OwnerId, type TrainerTraining } from '@selfie-lora/core';
import type { MemoryCore } from '@selfie-lora/adapters/memory';
import { advanceTo, memoryCore, owner, packageKeys, startedPipeline, storedPipeline, storedState, expectUnchanged, trainingFor } from '../support/memory-core-fixtures.js';
import { trainerLike } from '../support/trainer-like.js';

// The trainer polls batched (issue 16): one listing of recent trainings says which ended; only
// those pipelines ask the trainer about their own training, and that answer is what is applied.

/** An owner's pipeline waiting for the trainer; the clock moves on a minute after each. */
async function waiting(core: MemoryCore, name: string, seed: number) {
  const ownerId: OwnerId = owner(name);
  const { pipeline } = await startedPipeline(core, ownerId, [seed, seed + 1, seed + 2]);
  await advanceTo(core, pipeline.id, 'training');
  core.clock.advance(60_000);
  return { ownerId, pipelineId: pipeline.id, training: trainingFor(core, pipeline.id) };
}

/** Two pipelines waiting for the trainer, ada's then ben's, whose trainings both succeeded. */
async function bothEnded(core: MemoryCore) {
  const ada = await waiting(core, 'ada', 10);
  const ben = await waiting(core, 'ben', 20);
  core.trainer.finish(ada.training.id, 'succeeded');
  core.trainer.finish(ben.training.id, 'succeeded');
  return [ada, ben] as const;
}

describe('sweepTrainings: one listing instead of one question per training', () => {
  it('advances exactly the pipelines whose training ended, asking the trainer about those only, and cleans them up', async () => {
    const core = memoryCore();
    const [ada, ben, cy] = [await waiting(core, 'ada', 10), await waiting(core, 'ben', 20), await waiting(core, 'cy', 30)];
    core.trainer.finish(ada.training.id, 'succeeded');
    core.trainer.finish(ben.training.id, 'failed');
    const gets = vi.spyOn(core.trainer, 'get');
    const listings = vi.spyOn(core.trainer, 'listRecentTrainings');

    const sweep = (await sweepTrainings(core.deps, { limit: 100 }))._unsafeUnwrap();

    expect(sweep).toEqual({ waiting: 3, listed: 3, advanced: 2, deferred: 0 });
    expect(listings).toHaveBeenCalledTimes(1);
    expect(gets.mock.calls.map(([id]) => id).sort()).toEqual([ada.training.id, ben.training.id].sort());
    expect(storedPipeline(core, ada.pipelineId)).toMatchObject({ status: 'succeeded', packageDeletedAt: expect.any(Date) as unknown });
    expect((await listModels(core.deps, ada.ownerId))._unsafeUnwrap()).toHaveLength(1);
    expect(storedPipeline(core, ben.pipelineId)).toMatchObject({ status: 'failed', packageDeletedAt: expect.any(Date) as unknown });
    expect(storedPipeline(core, cy.pipelineId).status).toBe('training');
    expect(packageKeys(core)).toHaveLength(1);
  });

  it('asks nothing of the trainer when no pipeline waits for it', async () => {
    const core = memoryCore();
    const listings = vi.spyOn(core.trainer, 'listRecentTrainings');
    expect((await sweepTrainings(core.deps, { limit: 100 }))._unsafeUnwrap()).toEqual({ waiting: 0, listed: 0, advanced: 0, deferred: 0 });
    expect(listings).not.toHaveBeenCalled();
  });

  it('lists back to before the oldest pipeline waiting, with room for the trainer clock to differ from ours', async () => {
    const core = memoryCore();
    const first = await waiting(core, 'ada', 10);
    await waiting(core, 'ben', 20);
    const listings = vi.spyOn(core.trainer, 'listRecentTrainings');
    await sweepTrainings(core.deps, { limit: 100 });
    const since = listings.mock.calls[0]![0];
    expect(since.getTime()).toBeLessThanOrEqual(storedPipeline(core, first.pipelineId).createdAt.getTime() - CLOCK_SKEW_MS);
  });

  it('looks at no more than `limit` pipelines, the newest', async () => {
    const core = memoryCore();
    const [older, newer] = await bothEnded(core);
    expect((await sweepTrainings(core.deps, { limit: 1 }))._unsafeUnwrap()).toMatchObject({ waiting: 1, advanced: 1 });
    expect(storedPipeline(core, newer.pipelineId).status).toBe('succeeded');
    expect(storedPipeline(core, older.pipelineId).status).toBe('training');
  });

  it('takes the listing as a hint only: a training it says ended is applied as the trainer answers for it', async () => {
    const core = memoryCore();
    const ada = await waiting(core, 'ada', 10);
    const ben = await waiting(core, 'ben', 20);
    core.trainer.finish(ben.training.id, 'succeeded');
    const real = (await core.trainer.listRecentTrainings(new Date(0)))._unsafeUnwrap();
    // The listing lies: ada's training ended with a foreign version, ben's with another one.
    const lying = real.map(
      (t): TrainerTraining => ({ ...t, status: 'succeeded', outputVersion: 'someone/else:0000000000000000000000000000000000000000000000000000000000000000' }),
    );
    const deps = { ...core.deps, trainer: trainerLike(core.trainer, { listRecentTrainings: () => okAsync(lying) }) };

    const sweep = (await sweepTrainings(deps, { limit: 100 }))._unsafeUnwrap();

    expect(sweep).toEqual({ waiting: 2, listed: 2, advanced: 1, deferred: 1 });
    // Ada's training still runs at the trainer: nothing changed for her.
    expect(storedPipeline(core, ada.pipelineId).status).toBe('training');
    // Ben's version is the one the trainer itself reports, never the listing's.
    const [model] = (await listModels(core.deps, ben.ownerId))._unsafeUnwrap();
    expect(model?.version).toBe(core.trainer.trainings.get(ben.training.id)?.outputVersion);
    expect(model?.version).not.toContain('someone/else');
  });

  it('leaves a training the listing did not reach to its own poll', async () => {
    const core = memoryCore();
    const ada = await waiting(core, 'ada', 10);
    core.trainer.finish(ada.training.id, 'succeeded');
    const before = storedState(core);
    const deps = { ...core.deps, trainer: trainerLike(core.trainer, { listRecentTrainings: () => okAsync([]) }) };
    expect((await sweepTrainings(deps, { limit: 100 }))._unsafeUnwrap()).toEqual({ waiting: 1, listed: 0, advanced: 0, deferred: 0 });
    expectUnchanged(core, before);
  });

  it('a listing that cannot be read is an error and changes nothing', async () => {
    const core = memoryCore();
    const ada = await waiting(core, 'ada', 10);
    core.trainer.finish(ada.training.id, 'succeeded');
    const before = storedState(core);
    const deps = {
      ...core.deps,
      trainer: trainerLike(core.trainer, { listRecentTrainings: () => errAsync(domainError('trainer.unavailable', 'down')) }),
    };
    expect((await sweepTrainings(deps, { limit: 100 }))._unsafeUnwrapErr().code).toBe('trainer.unavailable');
    expectUnchanged(core, before);
  });

  it('a pipeline that cannot be advanced now (the trainer does not answer) is deferred, not failed, and the round goes on', async () => {
    const core = memoryCore();
    const [ada, ben] = await bothEnded(core);
    core.trainer.faults.failNext('get');
    const sweep = (await sweepTrainings(core.deps, { limit: 100 }))._unsafeUnwrap();
    expect(sweep).toEqual({ waiting: 2, listed: 2, advanced: 1, deferred: 1 });
    const statuses = [storedPipeline(core, ada.pipelineId).status, storedPipeline(core, ben.pipelineId).status].sort();
    // One answered and succeeded; the other's transport trouble is a retry of its step, still training.
    expect(statuses).toEqual(['succeeded', 'training']);
  });

  it('a pipeline whose advance fails (the database refuses) is deferred, and the round goes on', async () => {
    const core = memoryCore();
    const [ada, ben] = await bothEnded(core);
    // The database fails once, right after the listing: the first pipeline's read.
    const deps = {
      ...core.deps,
      trainer: trainerLike(core.trainer, {
        listRecentTrainings: (since) => {
          core.db.faults.failNext('transaction');
          return core.trainer.listRecentTrainings(since);
        },
      }),
    };
    const sweep = (await sweepTrainings(deps, { limit: 100 }))._unsafeUnwrap();
    expect(sweep).toEqual({ waiting: 2, listed: 2, advanced: 1, deferred: 1 });
    const statuses = [storedPipeline(core, ada.pipelineId).status, storedPipeline(core, ben.pipelineId).status].sort();
    expect(statuses).toEqual(['succeeded', 'training']);
  });
});
