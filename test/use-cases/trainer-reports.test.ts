import { describe, expect, it } from 'vitest';
import {
  advancePipeline,
  applyTrainerReport,
  cancelTraining,
  destinationFor,
  listModels,
  runPipeline,
  type DestinationStrategy,
  type OwnerId,
  type TrainerReport,
} from '@selfie-lora/core';
import { defaultCoreConfig, type MemoryCore, type MemoryTraining } from '@selfie-lora/adapters/memory';
import {
  alice,
  bob,
  errorCode,
  expectUnchanged,
  failureCode,
  memoryCore,
  packageKeys,
  pipelineAtTrainer,
  storedPipeline,
  storedState,
  trainingFor,
} from '../support/memory-core-fixtures.js';
import { trainerLike } from '../support/trainer-like.js';

const shared: DestinationStrategy = { kind: 'shared', account: 'selfie-lora', model: 'everyone' };

/** An owner's pipeline waiting for the trainer, and the training the trainer holds for it. */
async function training(core: MemoryCore, ownerId: OwnerId, seeds: readonly number[]) {
  const { pipeline } = await pipelineAtTrainer(core, ownerId, seeds);
  return { pipelineId: pipeline.id, training: trainingFor(core, pipeline.id) };
}

function succeeded(training: MemoryTraining, overrides: Partial<TrainerReport> = {}): TrainerReport {
  return {
    trainerTrainingId: training.id,
    destination: training.destination,
    status: 'succeeded',
    outputVersion: `${training.destination.owner}/${training.destination.name}:abc123`,
    error: null,
    ...overrides,
  };
}

/** A webhook report that must change nothing, answer `code`, and be logged. */
async function expectRefused(core: MemoryCore, report: TrainerReport, code: string) {
  const before = storedState(core);
  const logged = core.log.events.length;
  expect(errorCode(await applyTrainerReport(core.deps, report))).toBe(code);
  expectUnchanged(core, before);
  expect(core.log.events.slice(logged)).toEqual([
    { kind: 'trainer_report.ignored', detail: expect.objectContaining({ source: 'webhook', trainerTrainingId: report.trainerTrainingId, code }) as unknown },
  ]);
}

/**
 * A webhook whose body disagrees with the trainer's own answer about that training: the body
 * is ignored (and logged), the trainer's answer (still running) is applied, nothing changes.
 */
async function expectContradicted(core: MemoryCore, report: TrainerReport) {
  const before = storedState(core);
  const logged = core.log.events.length;
  expect((await applyTrainerReport(core.deps, report))._unsafeUnwrap().kind).toBe('unchanged');
  expectUnchanged(core, before);
  expect(core.log.events.slice(logged)).toEqual([
    {
      kind: 'trainer_report.ignored',
      detail: expect.objectContaining({ trainerTrainingId: report.trainerTrainingId, code: 'trainer.invalid_response' }) as unknown,
    },
  ]);
}

describe('applyTrainerReport (webhook): reports that change nothing', () => {
  it('a report about a training no pipeline recorded answers trainer.unknown_training', async () => {
    const core = memoryCore();
    const { training: t } = await training(core, alice, [1, 2, 3]);
    await expectRefused(core, succeeded(t, { trainerTrainingId: 'someone-elses-training' }), 'trainer.unknown_training');
  });

  it("a report about Bob's training naming Alice's destination makes no model for anyone", async () => {
    const core = memoryCore();
    const { training: alices } = await training(core, alice, [1, 2, 3]);
    const { training: bobs } = await training(core, bob, [4, 5, 6]);
    await expectContradicted(core, succeeded(bobs, { destination: alices.destination, outputVersion: succeeded(alices).outputVersion }));
  });

  it("a report about Bob's training whose version is at Alice's destination makes no model", async () => {
    const core = memoryCore();
    const { training: alices } = await training(core, alice, [1, 2, 3]);
    const { training: bobs } = await training(core, bob, [4, 5, 6]);
    await expectContradicted(core, succeeded(bobs, { destination: null, outputVersion: succeeded(alices).outputVersion }));
  });

  it.each(['succeeded', 'failed', 'canceled', 'processing'] as const)(
    'a %s report naming another destination changes nothing',
    async (status) => {
      const core = memoryCore();
      const { training: t } = await training(core, alice, [1, 2, 3]);
      const other = { owner: 'selfie-lora', name: 'not-alices' };
      await expectContradicted(core, succeeded(t, { status, destination: other }));
    },
  );

  it('a succeeded report whose version is at another destination makes no model', async () => {
    const core = memoryCore();
    const { training: t } = await training(core, alice, [1, 2, 3]);
    await expectContradicted(core, succeeded(t, { outputVersion: 'selfie-lora/not-alices:abc123' }));
  });

  it.each([null, 'latest', 'selfie-lora/model-without-hash'])('a succeeded report with version %j makes no model', async (outputVersion) => {
    const core = memoryCore();
    const { training: t } = await training(core, alice, [1, 2, 3]);
    await expectContradicted(core, succeeded(t, { outputVersion }));
  });
});

describe('applyTrainerReport (webhook): genuine reports', () => {
  it("Bob's genuine report makes Bob's model only; Alice's pipeline is untouched", async () => {
    const core = memoryCore();
    const { pipelineId: alicesPipeline } = await training(core, alice, [1, 2, 3]);
    const { pipelineId: bobsPipeline, training: bobs } = await training(core, bob, [4, 5, 6]);
    const alicesBefore = storedPipeline(core, alicesPipeline);
    const outcome = (await applyTrainerReport(core.deps, core.trainer.finish(bobs.id, 'succeeded')))._unsafeUnwrap();
    expect(outcome.kind).toBe('applied');
    expect(outcome.model).toMatchObject({ ownerId: bob, pipelineId: bobsPipeline, version: bobs.outputVersion });
    expect((await listModels(core.deps, alice))._unsafeUnwrap()).toEqual([]);
    expect(storedPipeline(core, alicesPipeline)).toEqual(alicesBefore);
  });

  it('a duplicated succeeded report makes one model; the second is unchanged', async () => {
    const core = memoryCore();
    const { training: t } = await training(core, alice, [1, 2, 3]);
    const report = core.trainer.finish(t.id, 'succeeded');
    const first = (await applyTrainerReport(core.deps, report))._unsafeUnwrap();
    expect(first.kind).toBe('applied');
    const before = storedState(core);
    const second = (await applyTrainerReport(core.deps, report))._unsafeUnwrap();
    expect(second.kind).toBe('unchanged');
    expect(second.model).toBeNull();
    expectUnchanged(core, before);
    expect(core.db.snapshot().models).toEqual([first.model]);
  });

  it('a second succeeded report with another version for a finished pipeline is ignored', async () => {
    const core = memoryCore();
    const { training: t } = await training(core, alice, [1, 2, 3]);
    (await applyTrainerReport(core.deps, core.trainer.finish(t.id, 'succeeded')))._unsafeUnwrap();
    const before = storedState(core);
    const outcome = (await applyTrainerReport(core.deps, succeeded(t, { outputVersion: `${t.outputVersion!.split(':')[0]!}:newer` })))._unsafeUnwrap();
    expect(outcome.kind).toBe('ignored');
    expectUnchanged(core, before);
  });

  it('a late succeeded report after a cancel makes no model', async () => {
    const core = memoryCore();
    const { pipelineId, training: t } = await training(core, alice, [1, 2, 3]);
    (await cancelTraining(core.deps, { ownerId: alice, pipelineId }))._unsafeUnwrap();
    // The trainer had already finished when the cancel arrived.
    const late = succeeded(t, { outputVersion: `${t.destination.owner}/${t.destination.name}:finishedanyway` });
    const before = storedState(core);
    const outcome = (await applyTrainerReport(core.deps, late))._unsafeUnwrap();
    expect(outcome).toMatchObject({ kind: 'ignored', model: null });
    expectUnchanged(core, before);
    expect(core.log.kinds()).toContain('trainer_report.ignored');
  });

  it('a failed report fails the pipeline; the worker then deletes its package', async () => {
    const core = memoryCore();
    const { pipelineId, training: t } = await training(core, alice, [1, 2, 3]);
    const outcome = (await applyTrainerReport(core.deps, core.trainer.finish(t.id, 'failed')))._unsafeUnwrap();
    expect(outcome.kind).toBe('applied');
    expect(failureCode(outcome.pipeline)).toBe('trainer.training_failed');
    (await advancePipeline(core.deps, pipelineId))._unsafeUnwrap();
    expect(packageKeys(core)).toEqual([]);
  });

  it('a progress report changes nothing', async () => {
    const core = memoryCore();
    const { training: t } = await training(core, alice, [1, 2, 3]);
    const before = storedState(core);
    const outcome = (await applyTrainerReport(core.deps, succeeded(t, { status: 'processing', outputVersion: null })))._unsafeUnwrap();
    expect(outcome.kind).toBe('unchanged');
    expectUnchanged(core, before);
  });
});

describe('the model is exactly the version its own training produced (I5)', () => {
  it.each(['webhook', 'poll'] as const)(
    'with one shared destination, each owner keeps its own version (%s)',
    async (path) => {
      const core = memoryCore({ destinationStrategy: shared });
      const a = await training(core, alice, [1, 2, 3]);
      const b = await training(core, bob, [4, 5, 6]);
      expect(a.training.destination).toEqual(b.training.destination);
      // Alice's training finishes first; Bob's then writes a newer version to the same model.
      const alicesReport = core.trainer.finish(a.training.id, 'succeeded');
      const bobsReport = core.trainer.finish(b.training.id, 'succeeded');
      expect(alicesReport.outputVersion).not.toBe(bobsReport.outputVersion);

      if (path === 'webhook') {
        (await applyTrainerReport(core.deps, bobsReport))._unsafeUnwrap();
        (await applyTrainerReport(core.deps, alicesReport))._unsafeUnwrap();
      } else {
        expect((await runPipeline(core.deps, b.pipelineId))._unsafeUnwrap().status).toBe('succeeded');
        expect((await runPipeline(core.deps, a.pipelineId))._unsafeUnwrap().status).toBe('succeeded');
      }
      const alices = (await listModels(core.deps, alice))._unsafeUnwrap();
      const bobs = (await listModels(core.deps, bob))._unsafeUnwrap();
      expect(alices.map((m) => m.version)).toEqual([alicesReport.outputVersion]);
      expect(bobs.map((m) => m.version)).toEqual([bobsReport.outputVersion]);
      expect(alices[0]!.trainingSet.map((i) => i.sha256).sort()).toEqual([...a.training.receivedImages].sort());
    },
  );

  it('per-owner destinations differ between owners and stay the same across trainings', async () => {
    const core = memoryCore();
    const first = await training(core, alice, [1, 2, 3]);
    (await applyTrainerReport(core.deps, core.trainer.finish(first.training.id, 'succeeded')))._unsafeUnwrap();
    const again = await training(core, alice, [7]);
    const bobs = await training(core, bob, [4, 5, 6]);
    expect(again.training.destination).toEqual(first.training.destination);
    expect(again.training.destination).toEqual(destinationFor(defaultCoreConfig.destinationStrategy, alice));
    expect(bobs.training.destination).not.toEqual(first.training.destination);
    (await applyTrainerReport(core.deps, core.trainer.finish(again.training.id, 'succeeded')))._unsafeUnwrap();
    const versions = (await listModels(core.deps, alice))._unsafeUnwrap().map((m) => [m.pipelineId, m.version]);
    expect(versions.sort()).toEqual(
      [
        [first.pipelineId, first.training.outputVersion],
        [again.pipelineId, again.training.outputVersion],
      ].sort(),
    );
  });
});

describe('polling: a mismatched answer about our own recorded training ends the pipeline', () => {
  function replaceTraining(core: MemoryCore, t: MemoryTraining, changes: Partial<MemoryTraining>) {
    core.trainer.trainings.set(t.id, { ...t, ...changes });
  }

  it('a poll naming another destination fails with trainer.destination_mismatch', async () => {
    const core = memoryCore();
    const { pipelineId, training: t } = await training(core, alice, [1, 2, 3]);
    replaceTraining(core, t, { destination: { owner: 'selfie-lora', name: 'elsewhere' } });
    const ended = (await runPipeline(core.deps, pipelineId))._unsafeUnwrap();
    expect(ended.status).toBe('failed');
    expect(failureCode(ended)).toBe('trainer.destination_mismatch');
    expect(core.db.snapshot().models).toEqual([]);
    expect(packageKeys(core)).toEqual([]);
  });

  it('a succeeded poll whose version is at another destination fails and makes no model', async () => {
    const core = memoryCore();
    const { pipelineId, training: t } = await training(core, alice, [1, 2, 3]);
    replaceTraining(core, t, { status: 'succeeded', outputVersion: 'selfie-lora/elsewhere:abc123' });
    const ended = (await runPipeline(core.deps, pipelineId))._unsafeUnwrap();
    expect(failureCode(ended)).toBe('trainer.destination_mismatch');
    expect(core.db.snapshot().models).toEqual([]);
  });

  it('a training the trainer no longer knows (404) fails the pipeline with trainer.rejected', async () => {
    const core = memoryCore();
    const { pipelineId, training: t } = await training(core, alice, [1, 2, 3]);
    core.trainer.trainings.delete(t.id);
    const ended = (await runPipeline(core.deps, pipelineId))._unsafeUnwrap();
    expect(failureCode(ended)).toBe('trainer.rejected');
    expect(core.db.snapshot().models).toEqual([]);
  });
});

describe('a webhook is a hint, a poll our own question: what each changes and what is logged', () => {
  const ignored = (core: MemoryCore) => core.log.events.filter((e) => e.kind === 'trainer_report.ignored').map((e) => e.detail);

  it("a webhook whose trainer answer fails its checks changes nothing and answers the refusal; a poll getting that answer ends the pipeline", async () => {
    const core = memoryCore();
    const { pipelineId, training: t } = await training(core, alice, [1, 2, 3]);
    const report = core.trainer.finish(t.id, 'succeeded');
    const elsewhere = { owner: 'selfie-lora', name: 'not-alices' };
    const deps = { ...core.deps, trainer: trainerLike(core.trainer, { get: (id) => core.trainer.get(id).map((a) => ({ ...a, destination: elsewhere })) }) };
    const before = storedState(core);
    expect(errorCode(await applyTrainerReport(deps, report))).toBe('trainer.destination_mismatch');
    expectUnchanged(core, before);
    const polled = (await advancePipeline(deps, pipelineId))._unsafeUnwrap().pipeline;
    expect(polled.status).toBe('failed');
    expect(failureCode(polled)).toBe('trainer.destination_mismatch');
    expect(ignored(core).map((d) => [d.source, d.code])).toEqual([
      ['webhook', 'trainer.destination_mismatch'],
      ['poll', 'trainer.destination_mismatch'],
    ]);
  });

  it("a webhook body that disagrees with the trainer is logged, and the trainer's own answer is what counts", async () => {
    const core = memoryCore();
    const { pipelineId, training: t } = await training(core, alice, [1, 2, 3]);
    const before = storedState(core);
    const claim = succeeded(t);
    const outcome = (await applyTrainerReport(core.deps, claim))._unsafeUnwrap();
    expect(outcome.kind).toBe('unchanged');
    expectUnchanged(core, before);
    expect(ignored(core)).toEqual([
      { source: 'webhook', trainerTrainingId: t.id, status: 'succeeded', code: 'trainer.invalid_response', detail: `trainer says ${t.status} null` },
    ]);
    // A body that says what the trainer says is not logged.
    const agreeing = (await applyTrainerReport(core.deps, core.trainer.finish(t.id, 'succeeded')))._unsafeUnwrap();
    expect(agreeing.kind).toBe('applied');
    expect(ignored(core)).toHaveLength(1);
    expect(storedPipeline(core, pipelineId).status).toBe('succeeded');
  });

  it('a report about a pipeline that moved on is logged with where it stands; a redelivered success is not', async () => {
    const core = memoryCore();
    const a = await training(core, alice, [1, 2, 3]);
    (await applyTrainerReport(core.deps, core.trainer.finish(a.training.id, 'succeeded')))._unsafeUnwrap();
    (await applyTrainerReport(core.deps, core.trainer.finish(a.training.id, 'succeeded')))._unsafeUnwrap();
    expect(ignored(core)).toEqual([]);
    const b = await training(core, bob, [4, 5, 6]);
    (await cancelTraining(core.deps, { ownerId: bob, pipelineId: b.pipelineId }))._unsafeUnwrap();
    const late = succeeded(b.training);
    expect((await applyTrainerReport(core.deps, late))._unsafeUnwrap().kind).toBe('ignored');
    expect(ignored(core)).toEqual([
      { source: 'webhook', trainerTrainingId: b.training.id, status: 'succeeded', code: 'training.already_finished', detail: 'pipeline is canceled' },
    ]);
  });

  it('a progress webhook leaves a pending retry of the poll alone; the poll answered clears it', async () => {
    const core = memoryCore();
    const { pipelineId, training: t } = await training(core, alice, [1, 2, 3]);
    core.trainer.faults.failNext('get');
    const retrying = (await advancePipeline(core.deps, pipelineId))._unsafeUnwrap().pipeline;
    expect(retrying.retry.attempt).toBe(1);
    const progress = succeeded(t, { status: 'starting', outputVersion: null });
    expect((await applyTrainerReport(core.deps, progress))._unsafeUnwrap().kind).toBe('unchanged');
    expect(storedPipeline(core, pipelineId).retry).toEqual(retrying.retry);
    core.clock.advance(retrying.retry.notBefore!.getTime() - core.clock.now().getTime());
    (await advancePipeline(core.deps, pipelineId))._unsafeUnwrap();
    expect(storedPipeline(core, pipelineId)).toMatchObject({ status: 'training', retry: { attempt: 0, notBefore: null } });
  });

  it("a webhook naming another version than the trainer's is logged; the model is the trainer's version", async () => {
    const core = memoryCore();
    const { pipelineId, training: t } = await training(core, alice, [1, 2, 3]);
    const answer = core.trainer.finish(t.id, 'succeeded');
    const claim = { ...answer, outputVersion: `${t.destination.owner}/${t.destination.name}:${'f'.repeat(64)}` };
    expect((await applyTrainerReport(core.deps, claim))._unsafeUnwrap().kind).toBe('applied');
    expect(ignored(core)).toEqual([
      { source: 'webhook', trainerTrainingId: t.id, status: 'succeeded', code: 'trainer.invalid_response', detail: `trainer says succeeded ${answer.outputVersion}` },
    ]);
    expect(storedPipeline(core, pipelineId)).toMatchObject({ status: 'succeeded', modelVersion: answer.outputVersion });
  });

  it('after a success, a webhook saying the training failed or was canceled is logged, even one naming the same version', async () => {
    const core = memoryCore();
    const { pipelineId, training: t } = await training(core, alice, [1, 2, 3]);
    const success = core.trainer.finish(t.id, 'succeeded');
    (await applyTrainerReport(core.deps, success))._unsafeUnwrap();
    const before = storedState(core);
    for (const late of [
      { ...success, status: 'failed' as const, outputVersion: null },
      { ...success, status: 'canceled' as const },
    ]) {
      expect((await applyTrainerReport(core.deps, late))._unsafeUnwrap().kind).toBe('ignored');
    }
    expectUnchanged(core, before);
    expect(ignored(core).map((d) => [d.status, d.code, d.detail])).toEqual([
      ['failed', 'training.already_finished', 'pipeline is succeeded'],
      ['canceled', 'training.already_finished', 'pipeline is succeeded'],
    ]);
    expect(storedPipeline(core, pipelineId).status).toBe('succeeded');
  });

  it('a poll finding the training processing leaves the pipeline waiting, with nothing logged', async () => {
    const core = memoryCore();
    const { pipelineId, training: t } = await training(core, alice, [1, 2, 3]);
    t.status = 'processing';
    const before = storedState(core);
    const advance = (await advancePipeline(core.deps, pipelineId))._unsafeUnwrap();
    expect(advance).toMatchObject({ progressed: false, pipeline: { status: 'training' } });
    expectUnchanged(core, before);
    expect(ignored(core)).toEqual([]);
  });
});
