import { describe, expect, it } from 'vitest';
import { errAsync } from 'neverthrow';
import {
  advancePipeline,
  defaultRetryPolicy,
  domainError,
  packageKey,
  runPipeline,
  type CoreDeps,
  type PipelineId,
  type TrainerReport,
  type TrainingPipeline,
} from '@selfie-lora/core';
import type { MemoryCore } from '@selfie-lora/adapters/memory';
import {
  advanceTo,
  alice,
  errorCode,
  failureCode,
  memoryCore,
  packageKeys,
  pipelineAtTrainer,
  startedPipeline,
  storedPipeline,
  trainingFor,
} from '../support/memory-core-fixtures.js';
import { trainerLike } from '../support/trainer-like.js';

// A pipeline that fails for a reason of ours (retries exhausted, an answer we refuse) after its
// submission was accepted must stop that training at the trainer. Left running, it would write
// a version to the owner's destination that no pipeline records (a `version.unrecorded` alarm
// in the audit) on GPU nobody wants. When the trainer ends the training itself, there is nothing
// to stop.

/** Trainings at the memory trainer still starting or processing. */
function running(core: MemoryCore): string[] {
  return [...core.trainer.trainings.values()].filter((t) => t.status === 'starting' || t.status === 'processing').map((t) => t.id);
}

/** The worker's view: pipelines still owing work (active, or clean-up left). */
async function unfinished(core: MemoryCore): Promise<readonly PipelineId[]> {
  return (await core.deps.uow.transaction((repos) => repos.pipelines.listUnfinished()))._unsafeUnwrap();
}

/**
 * Deps over the memory trainer that record the cancels asked for; `submit` rewrites the answer
 * to a submission, `refuseCancel` makes every cancel a final refusal.
 */
function trainerDeps(
  core: MemoryCore,
  options: { submit?: (report: TrainerReport) => TrainerReport; refuseCancel?: boolean } = {},
): { deps: CoreDeps; cancels: string[] } {
  const t = core.trainer;
  const cancels: string[] = [];
  const trainer = trainerLike(t, {
    submit: (submission) => t.submit(submission).map(options.submit ?? ((report) => report)),
    cancel: (id) => {
      cancels.push(id);
      return options.refuseCancel === true ? errAsync(domainError('trainer.rejected', `cannot cancel ${id}`)) : t.cancel(id);
    },
  });
  return { deps: { ...core.deps, trainer }, cancels };
}

/** Polls a training pipeline with every `get` failing until the retry bound ends it. */
async function exhaustPolls(core: MemoryCore, id: PipelineId, deps: CoreDeps = core.deps): Promise<ReturnType<typeof advancePipeline>> {
  core.trainer.faults.failNext('get', defaultRetryPolicy.maxAttempts);
  for (let attempt = 1; attempt < defaultRetryPolicy.maxAttempts; attempt += 1) {
    expect((await advancePipeline(deps, id))._unsafeUnwrap().pipeline.status).toBe('training');
    core.clock.advance(defaultRetryPolicy.maxDelayMs);
  }
  return advancePipeline(deps, id);
}

describe('a pipeline failing after submission for a reason of ours stops its training at the trainer', () => {
  it('retries exhausted while training', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    expect(running(core)).toHaveLength(1);

    const ended = (await exhaustPolls(core, pipeline.id))._unsafeUnwrap().pipeline;
    expect(ended.status).toBe('failed');
    expect(failureCode(ended)).toBe('training.retries_exhausted');
    expect(running(core)).toEqual([]);
    expect(trainingFor(core, pipeline.id).status).toBe('canceled');
    expect(packageKeys(core)).toEqual([]);
    expect(await unfinished(core)).toEqual([]);
  });

  it.each<[string, Partial<TrainerReport>, string]>([
    ['an empty training id', { trainerTrainingId: '' }, 'trainer.invalid_response'],
    ['another destination', { destination: { owner: 'selfie-lora', name: 'elsewhere' } }, 'trainer.destination_mismatch'],
  ])('the trainer accepts the submission but answers with %s (no id recorded)', async (_, change, code) => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'submitting');
    const { deps } = trainerDeps(core, { submit: (report) => ({ ...report, ...change }) });

    const ended = (await runPipeline(deps, pipeline.id))._unsafeUnwrap();
    expect(ended).toMatchObject({ status: 'failed', trainerTrainingId: null, failure: { step: 'submit', code } });
    // The trainer did accept it: found by the pipeline's id and canceled.
    expect(core.trainer.trainings.size).toBe(1);
    expect(running(core)).toEqual([]);
    expect(trainingFor(core, pipeline.id).status).toBe('canceled');
  });

  it.each<[string, (core: MemoryCore, id: string) => void, string]>([
    [
      'about another training',
      (core, id) => core.trainer.trainings.set(id, { ...core.trainer.trainings.get(id)!, id: 'mem-training-other' }),
      'trainer.invalid_response',
    ],
    [
      'naming another destination',
      (core, id) => core.trainer.trainings.set(id, { ...core.trainer.trainings.get(id)!, destination: { owner: 'selfie-lora', name: 'elsewhere' } }),
      'trainer.destination_mismatch',
    ],
  ])('a poll answered %s while the training runs', async (_, tamper, code) => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    const id = trainingFor(core, pipeline.id).id;
    tamper(core, id);
    core.trainer.trainings.get(id)!.status = 'processing';

    const ended = (await runPipeline(core.deps, pipeline.id))._unsafeUnwrap();
    expect(ended).toMatchObject({ status: 'failed', failure: { step: 'train', code } });
    expect(running(core)).toEqual([]);
    expect(core.trainer.trainings.get(id)!.status).toBe('canceled');
  });

  it.each(['failed', 'canceled'] as const)('a training the trainer itself %s is not canceled again', async (outcome) => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    core.trainer.finish(trainingFor(core, pipeline.id).id, outcome);
    const { deps, cancels } = trainerDeps(core);
    const ended = (await runPipeline(deps, pipeline.id))._unsafeUnwrap();
    expect(ended.status).toBe(outcome);
    expect(cancels).toEqual([]);
    expect(packageKeys(core)).toEqual([]);
  });

  it('a pipeline failing before submission asks the trainer nothing', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'verifying_package');
    const key = packageKey(alice, pipeline.id);
    core.store.setBytes(key, core.store.getBytes(key)!.slice(1));
    const { deps, cancels } = trainerDeps(core);
    core.trainer.faults.failNext('find', 1_000);
    const ended = (await runPipeline(deps, pipeline.id))._unsafeUnwrap();
    expect(ended.status).toBe('failed');
    expect(cancels).toEqual([]);
    expect(core.log.kinds()).not.toContain('trainer.cancel_failed');
    expect(packageKeys(core)).toEqual([]);
  });
});

describe('when the trainer cannot cancel', () => {
  it('the pipeline is still failed, the log says so, the photos go, and the next advance cancels', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    core.trainer.faults.failNext('cancel');

    const result = await exhaustPolls(core, pipeline.id);
    // The outcome is recorded; only the clean-up is owed, as for a failed package deletion.
    expect(errorCode(result)).toBe('trainer.unavailable');
    const stored: TrainingPipeline = storedPipeline(core, pipeline.id);
    expect(stored.status).toBe('failed');
    expect(failureCode(stored)).toBe('training.retries_exhausted');
    expect(core.log.events.filter((e) => e.kind === 'trainer.cancel_failed')).toEqual([
      {
        kind: 'trainer.cancel_failed',
        detail: expect.objectContaining({ pipelineId: pipeline.id, code: 'trainer.unavailable', retried: true }) as unknown,
      },
    ]);
    expect(running(core)).toHaveLength(1);
    // The owner's photos do not wait for the trainer.
    expect(packageKeys(core)).toEqual([]);
    expect(await unfinished(core)).toEqual([pipeline.id]);

    // Once the clean-up's backoff is over (pipeline-cleanup.test.ts).
    core.clock.advance(defaultRetryPolicy.baseDelayMs);
    const cleaned = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap();
    expect(cleaned.progressed).toBe(true);
    expect(running(core)).toEqual([]);
    expect('packageDeletedAt' in cleaned.pipeline && cleaned.pipeline.packageDeletedAt).toEqual(core.clock.now());
    expect(await unfinished(core)).toEqual([]);
    expect((await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().progressed).toBe(false);
  });

  it('a trainer that keeps failing to cancel is asked again only once each backoff is over, further out each time', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    const { deps, cancels } = trainerDeps(core);
    const failures = 4;
    core.trainer.faults.failNext('cancel', failures);
    expect(errorCode(await exhaustPolls(core, pipeline.id, deps))).toBe('trainer.unavailable');
    expect(cancels).toHaveLength(1);

    let previousDelay = 0;
    for (let failure = 1; failure <= failures; failure += 1) {
      const stored = storedPipeline(core, pipeline.id);
      expect(stored).toMatchObject({ status: 'failed', packageDeletedAt: null, retry: { attempt: failure } });
      const delay = stored.retry.notBefore!.getTime() - core.clock.now().getTime();
      expect(delay).toBeGreaterThan(previousDelay);
      previousDelay = delay;

      core.clock.advance(delay - 1);
      expect((await advancePipeline(deps, pipeline.id))._unsafeUnwrap().progressed).toBe(false);
      expect(cancels).toHaveLength(failure);
      core.clock.advance(1);
      const retried = await advancePipeline(deps, pipeline.id);
      expect(cancels).toHaveLength(failure + 1);
      if (failure < failures) expect(errorCode(retried)).toBe('trainer.unavailable');
      else expect(retried._unsafeUnwrap().progressed).toBe(true);
    }
    expect(running(core)).toEqual([]);
    expect(storedPipeline(core, pipeline.id).retry).toEqual({ attempt: 0, notBefore: null });
    expect(await unfinished(core)).toEqual([]);
  });

  it('a cancel the trainer refuses outright is logged and not repeated', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    const { deps, cancels } = trainerDeps(core, { refuseCancel: true });
    core.trainer.faults.failNext('get', defaultRetryPolicy.maxAttempts);
    let current = storedPipeline(core, pipeline.id);
    for (let attempt = 0; attempt < defaultRetryPolicy.maxAttempts; attempt += 1) {
      current = (await advancePipeline(deps, pipeline.id))._unsafeUnwrap().pipeline;
      core.clock.advance(defaultRetryPolicy.maxDelayMs);
    }
    expect(current).toMatchObject({ status: 'failed', failure: { code: 'training.retries_exhausted' } });
    expect(cancels).toEqual([trainingFor(core, pipeline.id).id]);
    expect(core.log.events.find((e) => e.kind === 'trainer.cancel_failed')?.detail).toMatchObject({
      pipelineId: pipeline.id,
      code: 'trainer.rejected',
      retried: false,
    });
    // Nothing left to retry: the clean-up is done and the pipeline is not visited again.
    expect(packageKeys(core)).toEqual([]);
    expect(await unfinished(core)).toEqual([]);
    expect((await advancePipeline(deps, pipeline.id))._unsafeUnwrap().progressed).toBe(false);
    expect(cancels).toHaveLength(1);
  });
});
