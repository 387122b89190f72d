import { describe, expect, it } from 'vitest';
import { cancelTraining, restartTraining, startTraining, type UnitOfWork } from '@selfie-lora/core';
import { alice, errorCode, memoryCore, startedPipeline, uploadPhotos } from '../support/memory-core-fixtures.js';
import { withRepositories } from '../support/rewritten-repositories.js';

/**
 * I8 is enforced twice: by the core before it writes, and by the storage (unique index). These
 * tests watch the core's own guard: a refused start must not even attempt the insert, so the
 * rule holds on any storage, not only on one that has the index.
 */
function countingInserts(uow: UnitOfWork): { uow: UnitOfWork; inserts: () => number } {
  let inserts = 0;
  return {
    inserts: () => inserts,
    uow: withRepositories(uow, (repos) => ({
      ...repos,
      pipelines: {
        ...repos.pipelines,
        insert: (pipeline) => {
          inserts += 1;
          return repos.pipelines.insert(pipeline);
        },
      },
    })),
  };
}

describe('the core refuses a second active pipeline before writing (I8)', () => {
  it('start while one is active: training.already_active, no insert attempted', async () => {
    const core = memoryCore();
    await startedPipeline(core, alice, [1, 2, 3]);
    const watched = countingInserts(core.deps.uow);
    const second = await startTraining({ ...core.deps, uow: watched.uow }, { ownerId: alice });
    expect(errorCode(second)).toBe('training.already_active');
    expect(watched.inserts()).toBe(0);
  });

  it('restart while another is active: training.already_active, no insert attempted', async () => {
    const core = memoryCore();
    await uploadPhotos(core, alice, [1, 2, 3]);
    const first = (await startTraining(core.deps, { ownerId: alice }))._unsafeUnwrap().pipeline;
    // Cancel the first, start a second, then try to restart the first.
    (await cancelTraining(core.deps, { ownerId: alice, pipelineId: first.id }))._unsafeUnwrap();
    (await startTraining(core.deps, { ownerId: alice }))._unsafeUnwrap();
    const watched = countingInserts(core.deps.uow);
    const restarted = await restartTraining({ ...core.deps, uow: watched.uow }, { ownerId: alice, pipelineId: first.id });
    expect(errorCode(restarted)).toBe('training.already_active');
    expect(watched.inserts()).toBe(0);
  });
});
