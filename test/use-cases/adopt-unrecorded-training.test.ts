import { describe, expect, it } from 'vitest';
import { errAsync } from 'neverthrow';
import { acceptTrainerWebhook, advancePipeline, cancelTraining, domainError, packageKey, runPipeline, type TrainerReport } from '@selfie-lora/core';
import type { MemoryCore } from '@selfie-lora/adapters';
import { advanceTo, alice, bob, errorCode, failureCode, memoryCore, startedPipeline, storedPipeline } from '../support/memory-core-fixtures.js';
import { trainerLike } from '../support/trainer-like.js';

/**
 * The crash the issue reproduces: the trainer accepted the training, the process died before the
 * database recorded it. Here the submission reaches the trainer and no pipeline write follows.
 */
async function acceptedButUnrecorded(core: MemoryCore, destination?: { owner: string; name: string }) {
  const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
  const submitting = await advanceTo(core, pipeline.id, 'submitting');
  const inputUrl = (await core.store.signedGetUrl(packageKey(alice, pipeline.id), 60))._unsafeUnwrap();
  const report = (
    await core.trainer.submit({ pipelineId: pipeline.id, destination: destination ?? submitting.destination, inputUrl, triggerWord: 'TOK' })
  )._unsafeUnwrap();
  return { pipelineId: pipeline.id, trainingId: report.trainerTrainingId };
}

/**
 * The owner cancels the pipeline while the trainer cannot be asked for the submission, so the
 * clean-up is deferred and the accepted training is left running; and the report it would send.
 */
async function canceledLeavingTraining(core: MemoryCore) {
  const { pipelineId, trainingId } = await acceptedButUnrecorded(core);
  core.trainer.faults.failNext('find');
  (await cancelTraining(core.deps, { ownerId: alice, pipelineId }))._unsafeUnwrap();
  const report = (await core.trainer.get(trainingId))._unsafeUnwrap();
  return { pipelineId, trainingId, report };
}

/** What the webhook path logged as the reason of each report it ignored. */
const ignoredDetails = (core: MemoryCore) => core.log.events.filter((e) => e.kind === 'trainer_report.ignored').map((e) => e.detail.detail);

const running = (core: MemoryCore) =>
  [...core.trainer.trainings.values()].filter((t) => t.status === 'starting' || t.status === 'processing').map((t) => t.id);

describe('a report about a training the trainer started but no pipeline recorded', () => {
  it('its completed webhook is adopted by the pipeline still submitting: the pipeline succeeds with that version', async () => {
    const core = memoryCore();
    const { pipelineId, trainingId } = await acceptedButUnrecorded(core);
    const report = core.trainer.finish(trainingId, 'succeeded');

    expect((await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_adopt', report }))._unsafeUnwrap()).toBe('applied');
    const done = storedPipeline(core, pipelineId);
    expect(done.status).toBe('succeeded');
    expect('trainerTrainingId' in done && done.trainerTrainingId).toBe(trainingId);
    expect(core.db.snapshot().models.map((m) => m.version)).toEqual([report.outputVersion]);
    expect(core.trainer.trainings.size).toBe(1);
    expect(core.log.events).toContainEqual({ kind: 'trainer.training_adopted', detail: { pipelineId, trainerTrainingId: trainingId, status: 'succeeded' } });
  });

  it('an adopted training whose answer then fails its checks makes no model: the webhook is logged as ignored, the poll fails the pipeline', async () => {
    const core = memoryCore();
    const { pipelineId, trainingId } = await acceptedButUnrecorded(core);
    const training = core.trainer.trainings.get(trainingId)!;
    training.status = 'succeeded';
    training.outputVersion = `someone-else/their-model:${'e'.repeat(64)}`;
    const report = (await core.trainer.get(trainingId))._unsafeUnwrap();
    expect((await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_foreign', report }))._unsafeUnwrap()).toBe('ignored');
    expect(core.db.snapshot().models).toEqual([]);
    expect(storedPipeline(core, pipelineId).status).toBe('training');
    expect(core.log.events.filter((e) => e.kind === 'trainer_report.ignored').map((e) => [e.detail.source, e.detail.code])).toEqual([
      ['webhook', 'trainer.destination_mismatch'],
    ]);
    // The pipeline holds the training now; its own poll ends it on that answer.
    expect(failureCode((await runPipeline(core.deps, pipelineId))._unsafeUnwrap())).toBe('trainer.destination_mismatch');
  });

  it('a progress webhook is adopted too; the worker then polls that training and submits no second one', async () => {
    const core = memoryCore();
    const { pipelineId, trainingId } = await acceptedButUnrecorded(core);
    const report = (await core.trainer.get(trainingId))._unsafeUnwrap();
    expect((await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_progress', report }))._unsafeUnwrap()).toBe('applied');
    expect(storedPipeline(core, pipelineId).status).toBe('training');
    core.trainer.finish(trainingId, 'succeeded');
    expect((await runPipeline(core.deps, pipelineId))._unsafeUnwrap().status).toBe('succeeded');
    expect(core.trainer.trainings.size).toBe(1);
  });

  it("applies the trainer's own answer, never the body's: a body claiming success for a running training adopts it and makes no model", async () => {
    const core = memoryCore();
    const { pipelineId, trainingId } = await acceptedButUnrecorded(core);
    const forgedBody: TrainerReport = {
      trainerTrainingId: trainingId,
      destination: storedPipeline(core, pipelineId).destination,
      status: 'succeeded',
      outputVersion: `${storedPipeline(core, pipelineId).destination.owner}/${storedPipeline(core, pipelineId).destination.name}:f00`,
      error: null,
    };
    await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_claim', report: forgedBody });
    expect(storedPipeline(core, pipelineId).status).toBe('training');
    expect(core.db.snapshot().models).toEqual([]);
  });

  it('a pipeline that no longer waits for it (canceled by its owner) does not adopt it: the training is canceled at the trainer', async () => {
    const core = memoryCore();
    const { pipelineId, trainingId, report } = await canceledLeavingTraining(core);
    expect(running(core)).toEqual([trainingId]);

    expect((await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_late', report }))._unsafeUnwrap()).toBe('ignored');
    expect(running(core)).toEqual([]);
    expect(storedPipeline(core, pipelineId).status).toBe('canceled');
    expect(core.db.snapshot().models).toEqual([]);
    const unadopted = core.log.events.filter((e) => e.kind === 'trainer.training_unadopted');
    expect(unadopted).toMatchObject([
      { kind: 'trainer.training_unadopted', detail: { pipelineId, trainerTrainingId: trainingId, status: 'starting', code: 'training.already_finished' } },
    ]);
    expect(unadopted[0]!.detail.detail).toMatch(new RegExp(`is canceled .*not waiting for ${trainingId}$`));
    // The refusal names the training and says why, in the pipeline's own words.
    expect(ignoredDetails(core)).toEqual([`training ${trainingId} was not adopted: ${String(unadopted[0]!.detail.detail)}`]);
  });

  it('a training to stop that the trainer cannot be asked to cancel is answered as an error, so the webhook comes again', async () => {
    const core = memoryCore();
    const { trainingId, report } = await canceledLeavingTraining(core);
    core.trainer.faults.failNext('cancel');
    expect(errorCode(await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_down', report }))).toBe('trainer.unavailable');
    expect(running(core)).toEqual([trainingId]);
    expect((await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_down', report }))._unsafeUnwrap()).toBe('ignored');
    expect(running(core)).toEqual([]);
  });

  it('a training to stop that the trainer refuses to cancel is still refused and logged, not redelivered forever', async () => {
    const core = memoryCore();
    const { report } = await canceledLeavingTraining(core);
    const trainer = trainerLike(core.trainer, { cancel: () => errAsync(domainError('trainer.rejected', 'cannot cancel')) });
    expect((await acceptTrainerWebhook({ ...core.deps, trainer }, { deliveryId: 'msg_refused', report }))._unsafeUnwrap()).toBe('ignored');
    expect(core.log.kinds()).toContain('trainer.training_unadopted');
  });

  it('a report about a training the trainer does not know is refused, naming it', async () => {
    const core = memoryCore();
    const { trainingId } = await acceptedButUnrecorded(core);
    const report = { ...(await core.trainer.get(trainingId))._unsafeUnwrap(), trainerTrainingId: 'mem-training-404' };
    expect((await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_unknown', report }))._unsafeUnwrap()).toBe('ignored');
    expect(ignoredDetails(core)).toEqual(['no pipeline recorded mem-training-404, and the trainer does not know it']);
  });

  it('a training for another destination is not adopted (I4/I5): it is canceled, and the worker then fails the pipeline', async () => {
    const core = memoryCore();
    const { pipelineId, trainingId } = await acceptedButUnrecorded(core, { owner: 'selfie-lora', name: 'somebody-else' });
    const report = (await core.trainer.get(trainingId))._unsafeUnwrap();
    expect((await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_dest', report }))._unsafeUnwrap()).toBe('ignored');
    expect(running(core)).toEqual([]);
    expect(storedPipeline(core, pipelineId).status).toBe('submitting');
    expect((await runPipeline(core.deps, pipelineId))._unsafeUnwrap().status).toBe('failed');
    expect(core.db.snapshot().models).toEqual([]);
  });

  it("a training whose input names another owner's pipeline is adopted only by that pipeline", async () => {
    const core = memoryCore();
    const { pipelineId, trainingId } = await acceptedButUnrecorded(core);
    const { pipeline: bobs } = await startedPipeline(core, bob, [4, 5, 6]);
    await advanceTo(core, bobs.id, 'submitting');
    const report = core.trainer.finish(trainingId, 'succeeded');
    (await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_owner', report }))._unsafeUnwrap();
    expect(storedPipeline(core, pipelineId).status).toBe('succeeded');
    expect(storedPipeline(core, bobs.id).status).toBe('submitting');
    expect(core.db.snapshot().models.map((m) => m.ownerId)).toEqual([alice]);
  });

  it('a training that names no pipeline of ours is only logged, never canceled (another client of the account)', async () => {
    const core = memoryCore();
    const planted = core.trainer.plantTraining({ destination: { owner: 'selfie-lora', name: 'other' } });
    const report = (await core.trainer.get(planted.trainerTrainingId))._unsafeUnwrap();
    expect((await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_foreign', report }))._unsafeUnwrap()).toBe('ignored');
    expect(core.trainer.planted.get(planted.trainerTrainingId)!.status).toBe('starting');
  });

  it('a trainer that cannot be reached leaves the delivery unrecorded, so its redelivery is adopted', async () => {
    const core = memoryCore();
    const { pipelineId, trainingId } = await acceptedButUnrecorded(core);
    const report = core.trainer.finish(trainingId, 'succeeded');
    core.trainer.faults.failNext('get');
    expect((await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_retry', report })).isErr()).toBe(true);
    expect(storedPipeline(core, pipelineId).status).toBe('submitting');
    expect((await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_retry', report }))._unsafeUnwrap()).toBe('applied');
    expect(storedPipeline(core, pipelineId).status).toBe('succeeded');
  });

  it('the worker racing the webhook for the same training: one records it, nothing is canceled, one model', async () => {
    const core = memoryCore();
    const { pipelineId, trainingId } = await acceptedButUnrecorded(core);
    const report = core.trainer.finish(trainingId, 'succeeded');
    await Promise.all([advancePipeline(core.deps, pipelineId), acceptTrainerWebhook(core.deps, { deliveryId: 'msg_race', report })]);
    expect((await runPipeline(core.deps, pipelineId))._unsafeUnwrap().status).toBe('succeeded');
    expect(core.trainer.trainings.get(trainingId)!.status).toBe('succeeded');
    expect(core.db.snapshot().models).toHaveLength(1);
  });
});
