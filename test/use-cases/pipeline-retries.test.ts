import { describe, expect, it, vi } from 'vitest';
import { errAsync } from 'neverthrow';
import { advancePipeline, defaultRetryPolicy, MAX_RETRY_AFTER_MS, runPipeline, transientError, type PipelineStatus } from '@selfie-lora/core';
import type { MemoryCore } from '@selfie-lora/adapters/memory';
import {
  advanceTo,
  alice,
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
} from '../support/memory-core-fixtures.js';

type Fault =
  | { readonly port: 'store'; readonly op: 'inspect' | 'read' | 'sign' }
  | { readonly port: 'packager'; readonly op: 'build' | 'readBack' }
  | { readonly port: 'trainer'; readonly op: 'submit' | 'find' | 'get' };

function inject(core: MemoryCore, fault: Fault, times = 1) {
  if (fault.port === 'store') core.store.faults.failNext(fault.op, times);
  else if (fault.port === 'packager') core.packager.faults.failNext(fault.op, times);
  else core.trainer.faults.failNext(fault.op, times);
}

// Each transient fault hits the step that runs in `status`, and the step after it is `next`.
const cases: readonly [Fault, PipelineStatus, PipelineStatus][] = [
  [{ port: 'store', op: 'inspect' }, 'verifying_uploads', 'packaging'],
  [{ port: 'packager', op: 'build' }, 'packaging', 'verifying_package'],
  [{ port: 'packager', op: 'readBack' }, 'verifying_package', 'submitting'],
  [{ port: 'trainer', op: 'find' }, 'submitting', 'training'],
  [{ port: 'store', op: 'sign' }, 'submitting', 'training'],
  [{ port: 'trainer', op: 'submit' }, 'submitting', 'training'],
];

describe('transient faults are retried after a backoff', () => {
  it.each(cases)('%j in %s: waits until retry.notBefore, then succeeds', async (fault, status, next) => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    if (status !== 'queued') await advanceTo(core, pipeline.id, status);
    inject(core, fault);

    const retried = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
    expect(retried.status).toBe(status);
    expect(retried.retry).toEqual({ attempt: 1, notBefore: new Date(core.clock.now().getTime() + defaultRetryPolicy.baseDelayMs) });

    // Before the retry time nothing happens at all.
    core.clock.advance(defaultRetryPolicy.baseDelayMs - 1);
    const before = storedState(core);
    expect((await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().progressed).toBe(false);
    expectUnchanged(core, before);

    core.clock.advance(1);
    const moved = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
    expect(moved.status).toBe(next);
    expect(moved.retry).toEqual({ attempt: 0, notBefore: null });
    // A retried submission still makes exactly one training.
    expect(core.trainer.trainings.size).toBe(next === 'training' ? 1 : 0);
  });

  it('a trainer outage while polling is retried and the training still completes', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    core.trainer.finish(trainingFor(core, pipeline.id).id, 'succeeded');
    core.trainer.faults.failNext('get');
    const waiting = (await runPipeline(core.deps, pipeline.id))._unsafeUnwrap();
    expect(waiting).toMatchObject({ status: 'training', retry: { attempt: 1 } });
    core.clock.advance(defaultRetryPolicy.baseDelayMs);
    expect((await runPipeline(core.deps, pipeline.id))._unsafeUnwrap().status).toBe('succeeded');
  });

  it('backs off exponentially between attempts', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'packaging');
    // One build call per attempt (photo inspections run several per attempt).
    core.packager.faults.failNext('build', 3);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const { retry } = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
      expect(retry.attempt).toBe(attempt);
      delays.push(retry.notBefore!.getTime() - core.clock.now().getTime());
      core.clock.advance(delays.at(-1)!);
    }
    expect(delays).toEqual([2_000, 4_000, 8_000]);
    expect((await runPipeline(core.deps, pipeline.id))._unsafeUnwrap().status).toBe('training');
  });

  it('a database outage loses nothing: the step is redone on the next advance', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'verifying_uploads');
    const before = storedState(core);
    core.db.faults.failNext('transaction');
    expect(errorCode(await advancePipeline(core.deps, pipeline.id))).toBe('persistence.unavailable');
    expectUnchanged(core, before);
    expect((await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline.status).toBe('packaging');
  });
});

// SPEC: transient errors are retried a bounded number of times inside the step. A poll the
// trainer answers ("still processing") means the step is not failing, so the bound is on
// consecutive failures, not on every blip over a training that may run for an hour.
describe('the retry bound counts consecutive failures of the step', () => {
  it('isolated poll failures spread over a long training, each followed by good polls, do not fail it', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    // Twice the bound, one failure at a time.
    for (let blip = 0; blip < 2 * defaultRetryPolicy.maxAttempts; blip += 1) {
      core.trainer.faults.failNext('get');
      const retried = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
      expect(retried).toMatchObject({ status: 'training', retry: { attempt: 1 } });
      core.clock.advance(defaultRetryPolicy.maxDelayMs);
      const answered = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap();
      expect(answered.progressed).toBe(false);
      expect(answered.pipeline).toMatchObject({ status: 'training', retry: { attempt: 0, notBefore: null } });
      expect(storedPipeline(core, pipeline.id).retry).toEqual({ attempt: 0, notBefore: null });
      // Further good polls write nothing: the reset is written once, not on every poll.
      core.clock.advance(defaultRetryPolicy.maxDelayMs);
      const before = storedState(core);
      expect((await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().progressed).toBe(false);
      expectUnchanged(core, before);
    }
    expect(trainingFor(core, pipeline.id).status).toBe('starting');
    core.trainer.finish(trainingFor(core, pipeline.id).id, 'succeeded');
    expect((await runPipeline(core.deps, pipeline.id))._unsafeUnwrap().status).toBe('succeeded');
  });

  it('runs of failures just under the bound, separated by a good poll, do not fail it', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    for (let run = 0; run < 3; run += 1) {
      core.trainer.faults.failNext('get', defaultRetryPolicy.maxAttempts - 1);
      for (let attempt = 1; attempt < defaultRetryPolicy.maxAttempts; attempt += 1) {
        const retried = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
        expect(retried).toMatchObject({ status: 'training', retry: { attempt } });
        core.clock.advance(defaultRetryPolicy.maxDelayMs);
      }
      const answered = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
      expect(answered).toMatchObject({ status: 'training', retry: { attempt: 0, notBefore: null } });
    }
    core.trainer.finish(trainingFor(core, pipeline.id).id, 'succeeded');
    expect((await runPipeline(core.deps, pipeline.id))._unsafeUnwrap().status).toBe('succeeded');
  });

  it('consecutive poll failures up to the bound still end it with training.retries_exhausted', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    // A good poll first: it must not leave anything that stretches the bound.
    expect((await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline.status).toBe('training');
    core.trainer.faults.failNext('get', defaultRetryPolicy.maxAttempts);
    let current = storedPipeline(core, pipeline.id);
    for (let attempt = 1; attempt < defaultRetryPolicy.maxAttempts; attempt += 1) {
      current = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
      expect(current).toMatchObject({ status: 'training', retry: { attempt } });
      core.clock.advance(defaultRetryPolicy.maxDelayMs);
    }
    current = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
    expect(current.status).toBe('failed');
    expect(failureCode(current)).toBe('training.retries_exhausted');
  });
});

describe('exhausted retries end the pipeline', () => {
  it.each<[Fault, PipelineStatus]>([
    [{ port: 'store', op: 'inspect' }, 'verifying_uploads'],
    [{ port: 'trainer', op: 'submit' }, 'submitting'],
  ])('%j failing every time in %s ends with training.retries_exhausted', async (fault, status) => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, status);
    inject(core, fault, 1_000);
    let attempts = 0;
    let current = storedPipeline(core, pipeline.id);
    while (current.status === status && attempts < 50) {
      current = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
      attempts += 1;
      core.clock.advance(defaultRetryPolicy.maxDelayMs);
    }
    expect(attempts).toBe(defaultRetryPolicy.maxAttempts);
    expect(current.status).toBe('failed');
    expect(failureCode(current)).toBe('training.retries_exhausted');
    expect(core.trainer.trainings.size).toBe(0);
    expect(packageKeys(core)).toEqual([]);
    // Final: later advances do nothing, even once the faults are gone.
    core.store.faults.clear();
    core.trainer.faults.clear();
    const before = storedState(core);
    expect((await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().progressed).toBe(false);
    expectUnchanged(core, before);
  });
});

describe('the trainer’s own outcome', () => {
  it('a failed training fails the pipeline with trainer.training_failed', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    core.trainer.finish(trainingFor(core, pipeline.id).id, 'failed');
    const ended = (await runPipeline(core.deps, pipeline.id))._unsafeUnwrap();
    expect(ended).toMatchObject({ status: 'failed', failure: { step: 'train', code: 'trainer.training_failed' } });
    expect(core.db.snapshot().models).toEqual([]);
  });

  it('a training canceled at the trainer cancels the pipeline', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    core.trainer.finish(trainingFor(core, pipeline.id).id, 'canceled');
    const ended = (await runPipeline(core.deps, pipeline.id))._unsafeUnwrap();
    expect(ended).toMatchObject({ status: 'canceled', failure: { code: 'trainer.training_canceled' } });
    expect(core.db.snapshot().models).toEqual([]);
  });

  it('a still-running training leaves the pipeline waiting, unchanged', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    const before = storedState(core);
    expect((await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().progressed).toBe(false);
    expectUnchanged(core, before);
  });
});

describe('a trainer that answers 429 with Retry-After', () => {
  const rateLimited = (seconds: number) => errAsync({ ...transientError('trainer.unavailable', 'HTTP 429'), retryAfterSeconds: seconds });

  it('is not asked again before the time it gave, and being told to wait never exhausts the retry budget', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'submitting');
    const submit = vi.spyOn(core.trainer, 'submit');
    // Many more 429s than the budget allows failures: the pipeline still submits in the end.
    for (let i = 0; i < defaultRetryPolicy.maxAttempts + 2; i += 1) {
      submit.mockImplementationOnce(() => rateLimited(90));
      const waiting = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
      expect(waiting).toMatchObject({ status: 'submitting', retry: { attempt: 0, notBefore: new Date(core.clock.now().getTime() + 90_000) } });
      core.clock.advance(90_000 - 1);
      const before = storedState(core);
      expect((await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().progressed).toBe(false);
      expectUnchanged(core, before);
      core.clock.advance(1);
    }
    expect(submit).toHaveBeenCalledTimes(defaultRetryPolicy.maxAttempts + 2);
    const moved = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
    expect(moved.status).toBe('training');
  });

  it('while training, the next poll waits for the time it gave and the 429 does not count as a failed poll', async () => {
    const core = memoryCore();
    const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    const get = vi.spyOn(core.trainer, 'get');
    get.mockImplementationOnce(() => rateLimited(300));
    const waiting = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
    expect(waiting).toMatchObject({ status: 'training', retry: { attempt: 0, notBefore: new Date(core.clock.now().getTime() + 300_000) } });
    core.clock.advance(300_000 - 1);
    await advancePipeline(core.deps, pipeline.id);
    expect(get).toHaveBeenCalledTimes(1);
    core.clock.advance(1);
    await advancePipeline(core.deps, pipeline.id);
    expect(get).toHaveBeenCalledTimes(2);
  });

  it('waits at least the base backoff, and at most an hour, whatever the header said', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'submitting');
    const submit = vi.spyOn(core.trainer, 'submit');
    submit.mockImplementationOnce(() => rateLimited(0.001));
    const short = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
    expect(short.retry.notBefore).toEqual(new Date(core.clock.now().getTime() + defaultRetryPolicy.baseDelayMs));
    core.clock.advance(defaultRetryPolicy.baseDelayMs);
    submit.mockImplementationOnce(() => rateLimited(10 * 24 * 3600));
    const long = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
    expect(long.retry.notBefore).toEqual(new Date(core.clock.now().getTime() + MAX_RETRY_AFTER_MS));
  });
});
