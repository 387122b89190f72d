import { describe, expect, it } from 'vitest';
import { okAsync } from 'neverthrow';
import { acceptTrainerWebhook, type UnitOfWork } from '@selfie-lora/core';
import {
  alice,
  errorCode,
  memoryCore,
  pipelineAtTrainer,
  trainingFor,
} from '../support/memory-core-fixtures.js';
import { trainerLike } from '../support/trainer-like.js';
import { withRepositories } from '../support/rewritten-repositories.js';

async function finishedTraining() {
  const core = memoryCore();
  const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
  const report = core.trainer.finish(trainingFor(core, pipeline.id).id, 'succeeded');
  return { core, report };
}

describe('accepting a verified trainer webhook', () => {
  it('applies a delivery once; a redelivery of the same webhook-id is a no-op', async () => {
    const { core, report } = await finishedTraining();
    expect((await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_1', report }))._unsafeUnwrap()).toBe('applied');
    const after = core.db.snapshot();
    expect((await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_1', report }))._unsafeUnwrap()).toBe('duplicate');
    expect(core.db.snapshot()).toEqual(after);
    expect(after.models).toHaveLength(1);
  });

  it('a redelivery costs no question to the trainer', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    const t = trainingFor(core, pipeline.id);
    // A progress webhook: the pipeline still waits, so only the recorded id tells a redelivery.
    const progress = { trainerTrainingId: t.id, destination: t.destination, status: 'processing' as const, outputVersion: null, error: null };
    let asked = 0;
    const deps = { ...core.deps, trainer: trainerLike(core.trainer, { get: (id) => ((asked += 1), core.trainer.get(id)) }) };
    expect((await acceptTrainerWebhook(deps, { deliveryId: 'msg_5', report: progress }))._unsafeUnwrap()).toBe('unchanged');
    expect(asked).toBe(1);
    expect((await acceptTrainerWebhook(deps, { deliveryId: 'msg_5', report: progress }))._unsafeUnwrap()).toBe('duplicate');
    expect(asked).toBe(1);
  });

  it('a delivery that another one recorded while it was applied answers duplicate', async () => {
    const { core, report } = await finishedTraining();
    expect((await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_4', report }))._unsafeUnwrap()).toBe('applied');
    // The second delivery's check ran before the first recorded the id.
    const checkedEarly = withRepositories(core.deps.uow, (repos) => ({
      ...repos,
      webhookDeliveries: { ...repos.webhookDeliveries, seen: () => okAsync(false) },
    }));
    const after = core.db.snapshot();
    expect((await acceptTrainerWebhook({ ...core.deps, uow: checkedEarly }, { deliveryId: 'msg_4', report }))._unsafeUnwrap()).toBe('duplicate');
    expect(core.db.snapshot()).toEqual(after);
  });

  it('does not record a delivery whose apply failed, so the trainer retry applies it', async () => {
    const { core, report } = await finishedTraining();
    // seen() succeeds, then the database goes away for the transactions that apply the report.
    let calls = 0;
    const flaky: UnitOfWork = {
      transaction: (work) => {
        calls += 1;
        if (calls === 2) core.db.faults.failNext('transaction', 1);
        return core.db.transaction(work);
      },
    };
    const first = await acceptTrainerWebhook({ ...core.deps, uow: flaky }, { deliveryId: 'msg_2', report });
    expect(errorCode(first)).toBe('persistence.unavailable');
    expect(core.db.snapshot().models).toHaveLength(0);
    expect((await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_2', report }))._unsafeUnwrap()).toBe('applied');
    expect(core.db.snapshot().models).toHaveLength(1);
  });

  it('acknowledges a report for an unknown training as ignored and records it', async () => {
    const { core, report } = await finishedTraining();
    const forged = { ...report, trainerTrainingId: 'no-such-training' };
    expect((await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_3', report: forged }))._unsafeUnwrap()).toBe('ignored');
    expect((await acceptTrainerWebhook(core.deps, { deliveryId: 'msg_3', report: forged }))._unsafeUnwrap()).toBe('duplicate');
    expect(core.db.snapshot().models).toHaveLength(0);
  });
});
