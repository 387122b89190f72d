import { describe, expect, it, vi } from 'vitest';
import {
  advancePipeline,
  cancelTraining,
  deleteUpload,
  packageKey,
  restartTraining,
  runPipeline,
  type PipelineStatus,
  type TrainingPipeline,
} from '@selfie-lora/core';
import { okAsync } from 'neverthrow';
import type { MemoryCore } from '@selfie-lora/adapters/memory';
import {
  advanceTo,
  alice,
  bob,
  errorCode,
  expectUnchanged,
  failureCode,
  memoryCore,
  packageKeys,
  pipelineAtTrainer,
  startedPipeline,
  storedPipeline,
  storedState,
  trainingFor,
  uploadPhoto,
} from '../support/memory-core-fixtures.js';
import { withRepositories } from '../support/rewritten-repositories.js';

/** A pipeline that failed at the trainer, after a full verification and submission. */
async function failedPipeline(core: MemoryCore): Promise<TrainingPipeline> {
  const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
  core.trainer.finish(trainingFor(core, pipeline.id).id, 'failed');
  const ended = (await runPipeline(core.deps, pipeline.id))._unsafeUnwrap();
  expect(ended.status).toBe('failed');
  return ended;
}

describe('cancelTraining', () => {
  it("answers training.not_found for another owner's pipeline and leaves it running", async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, bob, [1, 2, 3]);
    const before = storedState(core);
    expect((await cancelTraining(core.deps, { ownerId: alice, pipelineId: pipeline.id }))._unsafeUnwrapErr()).toMatchObject({
      code: 'training.not_found',
      detail: `pipeline ${pipeline.id}`,
    });
    expectUnchanged(core, before);
    expect(trainingFor(core, pipeline.id).status).toBe('starting');
  });

  it('answers training.already_finished for a finished pipeline', async () => {
    const core = memoryCore();
    const failed = await failedPipeline(core);
    const before = storedState(core);
    expect((await cancelTraining(core.deps, { ownerId: alice, pipelineId: failed.id }))._unsafeUnwrapErr()).toMatchObject({
      code: 'training.already_finished',
      detail: 'pipeline is failed',
    });
    expectUnchanged(core, before);
  });

  it('cancels a queued pipeline with the owner’s reason; later advances do nothing', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    const canceled = (await cancelTraining(core.deps, { ownerId: alice, pipelineId: pipeline.id }))._unsafeUnwrap();
    expect(canceled).toMatchObject({ status: 'canceled', failure: { code: 'training.canceled_by_owner', step: 'verify_uploads' } });
    const before = storedState(core);
    const advance = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap();
    expect(advance.progressed).toBe(false);
    expectUnchanged(core, before);
    expect(core.trainer.trainings.size).toBe(0);
  });

  it('cancels a training at the trainer and deletes the package', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    expect(packageKeys(core)).toEqual([packageKey(alice, pipeline.id)]);
    const canceled = (await cancelTraining(core.deps, { ownerId: alice, pipelineId: pipeline.id }))._unsafeUnwrap();
    expect(canceled.status).toBe('canceled');
    expect(trainingFor(core, pipeline.id).status).toBe('canceled');
    expect(packageKeys(core)).toEqual([]);
    const stored = storedPipeline(core, pipeline.id);
    expect('packageDeletedAt' in stored && stored.packageDeletedAt).toEqual(core.clock.now());
  });

  it('canceled while submitting with nothing accepted: the trainer is asked for the submission, and nothing is canceled there', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'submitting');
    const finds = vi.spyOn(core.trainer, 'findSubmission');
    const cancels = vi.spyOn(core.trainer, 'cancel');
    (await cancelTraining(core.deps, { ownerId: alice, pipelineId: pipeline.id }))._unsafeUnwrap();
    expect(finds).toHaveBeenCalledWith(pipeline.id);
    expect(cancels).not.toHaveBeenCalled();
    expect(storedPipeline(core, pipeline.id)).toMatchObject({ status: 'canceled', packageDeletedAt: core.clock.now() });
  });

  it('still cancels when the trainer cannot be reached, and says so in the log', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    core.trainer.faults.failNext('cancel');
    (await cancelTraining(core.deps, { ownerId: alice, pipelineId: pipeline.id }))._unsafeUnwrap();
    const stored = storedPipeline(core, pipeline.id);
    expect(stored.status).toBe('canceled');
    expect(core.log.kinds()).toContain('trainer.cancel_failed');
    // The package is gone; the stop at the trainer is owed, retried after a backoff, and the operator is told which.
    expect(packageKeys(core)).toEqual([]);
    const cleanup = core.log.events.filter((e) => e.kind.startsWith('pipeline.cleanup'));
    expect(cleanup).toEqual([
      {
        kind: 'pipeline.cleanup_retry',
        detail: {
          pipelineId: pipeline.id,
          status: 'canceled',
          code: 'trainer.unavailable',
          detail: 'injected cancel fault',
          attempt: 1,
          notBefore: stored.retry.notBefore,
        },
      },
      { kind: 'pipeline.cleanup_deferred', detail: { pipelineId: pipeline.id, code: 'trainer.unavailable' } },
    ]);
    expect(stored.retry.notBefore).not.toBeNull();
  });

  // The trainer accepts the racing submission and the stale write is refused: that training
  // must still be canceled, or it would run on the owner's photos for a canceled pipeline.
  it('a cancel racing the submit step leaves no training running at the trainer', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'submitting');
    const [advanced, canceled] = await Promise.all([
      advancePipeline(core.deps, pipeline.id),
      cancelTraining(core.deps, { ownerId: alice, pipelineId: pipeline.id }),
    ]);
    expect(canceled._unsafeUnwrap().status).toBe('canceled');
    // The submit lost the race: its write was refused as stale, never overwriting the cancel.
    expect(errorCode(advanced)).toBe('persistence.conflict');
    expect(storedPipeline(core, pipeline.id).status).toBe('canceled');
    // Whatever the trainer accepted meanwhile must not keep running for a canceled pipeline.
    const running = [...core.trainer.trainings.values()].filter((t) => t.status === 'starting' || t.status === 'processing');
    expect(running).toEqual([]);
  });

  // In Postgres a worker's step can commit between the cancel's read and its write (the memory
  // database runs transactions one at a time, so the stale read is staged here). The owner
  // asked to cancel: that must not come back as "changed at the same time".
  it('re-reads and cancels when a worker step commits between its read and its write', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    const before = storedPipeline(core, pipeline.id);
    await advanceTo(core, pipeline.id, 'packaging');
    let staleReads = 2;
    const racing = withRepositories(core.deps.uow, (repos) => ({
      ...repos,
      pipelines: { ...repos.pipelines, get: (ownerId, id) => (staleReads-- > 0 ? okAsync(before) : repos.pipelines.get(ownerId, id)) },
    }));
    const canceled = (await cancelTraining({ ...core.deps, uow: racing }, { ownerId: alice, pipelineId: pipeline.id }))._unsafeUnwrap();
    expect(staleReads).toBe(-1);
    expect(canceled).toMatchObject({ status: 'canceled', failure: { code: 'training.canceled_by_owner', step: 'package' } });
    expect(storedPipeline(core, pipeline.id)).toMatchObject({ status: 'canceled', failure: canceled.failure });
  });
});

describe('restartTraining', () => {
  it('creates a new pipeline over the current photos that verifies, packages and submits again', async () => {
    const core = memoryCore();
    const failed = await failedPipeline(core);
    const oldTraining = trainingFor(core, failed.id);
    const added = await uploadPhoto(core, alice, 4);

    const restarted = (await restartTraining(core.deps, { ownerId: alice, pipelineId: failed.id }))._unsafeUnwrap();
    expect(restarted).toMatchObject({ status: 'queued', restartOf: failed.id, ownerId: alice, triggerWord: failed.triggerWord });
    expect(restarted.id).not.toBe(failed.id);
    expect(restarted.trainingSet.items.map((i) => i.uploadId)).toContain(added.id);
    // The old pipeline stays as it ended.
    expect(storedPipeline(core, failed.id)).toEqual(failed);

    const waiting = await advanceTo(core, restarted.id, 'training');
    expect(waiting.steps.map((s) => s.name)).toEqual(['verify_uploads', 'package', 'verify_package', 'submit', 'train']);
    expect(waiting.status === 'training' && waiting.package.key).toBe(packageKey(alice, restarted.id));
    expect(packageKey(alice, restarted.id)).not.toBe(packageKey(alice, failed.id));
    const newTraining = trainingFor(core, restarted.id);
    expect(newTraining.id).not.toBe(oldTraining.id);
    expect(newTraining.receivedImages).toHaveLength(4);
    expect(core.trainer.trainings.size).toBe(2);
  });

  it('restarts a canceled pipeline', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    (await cancelTraining(core.deps, { ownerId: alice, pipelineId: pipeline.id }))._unsafeUnwrap();
    const restarted = (await restartTraining(core.deps, { ownerId: alice, pipelineId: pipeline.id }))._unsafeUnwrap();
    expect(restarted.restartOf).toBe(pipeline.id);
  });

  it.each<PipelineStatus>(['queued', 'packaging', 'training', 'succeeded'])(
    'refuses to restart a %s pipeline with training.not_restartable',
    async (status) => {
      const core = memoryCore();
      const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
      if (status === 'succeeded') {
        await advanceTo(core, pipeline.id, 'training');
        core.trainer.finish(trainingFor(core, pipeline.id).id, 'succeeded');
        await advanceTo(core, pipeline.id, 'succeeded');
      } else if (status !== 'queued') {
        await advanceTo(core, pipeline.id, status);
      }
      const before = storedState(core);
      expect((await restartTraining(core.deps, { ownerId: alice, pipelineId: pipeline.id }))._unsafeUnwrapErr()).toMatchObject({
        code: 'training.not_restartable',
        detail: `pipeline is ${status}`,
      });
      expectUnchanged(core, before);
    },
  );

  it("answers training.not_found for another owner's failed pipeline", async () => {
    const core = memoryCore();
    const failed = await failedPipeline(core);
    await startedPipeline(core, bob, [7, 8, 9]);
    const before = storedState(core);
    expect((await restartTraining(core.deps, { ownerId: bob, pipelineId: failed.id }))._unsafeUnwrapErr()).toMatchObject({
      code: 'training.not_found',
      detail: `pipeline ${failed.id}`,
    });
    expectUnchanged(core, before);
  });

  it('refuses a second restart while the first is active', async () => {
    const core = memoryCore();
    const failed = await failedPipeline(core);
    (await restartTraining(core.deps, { ownerId: alice, pipelineId: failed.id }))._unsafeUnwrap();
    const before = storedState(core);
    expect(errorCode(await restartTraining(core.deps, { ownerId: alice, pipelineId: failed.id }))).toBe('training.already_active');
    expectUnchanged(core, before);
  });

  it('refuses when the owner no longer has enough photos', async () => {
    const core = memoryCore({ minPhotos: 3 });
    const failed = await failedPipeline(core);
    (await deleteUpload(core.deps, { ownerId: alice, uploadId: failed.trainingSet.items[0].uploadId }))._unsafeUnwrap();
    const before = storedState(core);
    expect(errorCode(await restartTraining(core.deps, { ownerId: alice, pipelineId: failed.id }))).toBe('training.not_enough_photos');
    expectUnchanged(core, before);
    expect(failureCode(storedPipeline(core, failed.id))).toBe('trainer.training_failed');
  });
});
