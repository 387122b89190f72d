import { afterEach, describe, expect, it } from 'vitest';
import { okAsync, ResultAsync } from 'neverthrow';
import { MemoryPipelineLeases } from '@selfie-lora/adapters';
import type { CoreDeps, DomainError, Packager, PipelineLeases } from '@selfie-lora/core';
import { startWorker, type Worker } from '../../src/worker/index.js';
import {
  CountingLeases,
  LEASE_MS,
  POLL_MS,
  eventually,
  leasesOver,
  memoryCore,
  pipelineOf,
  startedTraining,
  statusBecomes,
  workerOver,
} from './worker-support.js';

const zipsIn = (keys: readonly string[]) => keys.filter((key) => key.startsWith('trainings/'));

describe('background worker (in memory)', () => {
  const running: Worker[] = [];
  const track = (worker: Worker) => {
    running.push(worker);
    return worker;
  };
  afterEach(async () => {
    await Promise.all(running.splice(0).map((worker) => worker.stop()));
  });

  it('runs a started training to succeeded, with nobody calling advancePipeline, and deletes its ZIP', async () => {
    const core = memoryCore();
    const errors: unknown[] = [];
    const id = await startedTraining(core.deps, 'alice');
    track(workerOver(core.deps, leasesOver(core), 'w1', errors)).wakeUp();
    await statusBecomes(core.deps, id, 'succeeded');
    await eventually('package deleted', async () => (await pipelineOf(core.deps, id)).status === 'succeeded' && zipsIn(core.store.keys()).length === 0);
    expect(core.trainer.trainings.size).toBe(1);
    expect(errors).toEqual([]);
  });

  it('polls a training only every TRAINING_POLL_INTERVAL_MS, so a lost webhook still completes it', async () => {
    const core = memoryCore({ autoComplete: false });
    const leases = leasesOver(core);
    const id = await startedTraining(core.deps, 'alice');
    track(workerOver(core.deps, leases, 'w1'));
    await statusBecomes(core.deps, id, 'training');
    const [training] = [...core.trainer.trainings.values()];
    core.trainer.finish(training!.id, 'succeeded');
    // Not due yet: the worker goes round without touching it.
    await leases.rounds(5);
    expect((await pipelineOf(core.deps, id)).status).toBe('training');
    core.clock.advance(POLL_MS);
    await statusBecomes(core.deps, id, 'succeeded');
  });

  it('deletes the ZIP of a pipeline whose training failed', async () => {
    const core = memoryCore({ autoComplete: false });
    const id = await startedTraining(core.deps, 'alice');
    track(workerOver(core.deps, leasesOver(core), 'w1'));
    await statusBecomes(core.deps, id, 'training');
    expect(zipsIn(core.store.keys())).toHaveLength(1);
    core.trainer.finish([...core.trainer.trainings.keys()][0]!, 'failed');
    core.clock.advance(POLL_MS);
    await statusBecomes(core.deps, id, 'failed');
    await eventually('package deleted', () => zipsIn(core.store.keys()).length === 0);
  });

  it('retries a transient fault once its retry time has come, not before', async () => {
    const core = memoryCore();
    const leases = leasesOver(core);
    core.trainer.faults.failNext('submit');
    const id = await startedTraining(core.deps, 'alice');
    track(workerOver(core.deps, leases, 'w1'));
    await eventually('a retry scheduled', async () => (await pipelineOf(core.deps, id)).retry.attempt === 1);
    const waiting = await pipelineOf(core.deps, id);
    expect(waiting.status).toBe('submitting');
    await leases.rounds(5);
    expect((await pipelineOf(core.deps, id)).status).toBe('submitting');
    core.clock.advance(waiting.retry.notBefore!.getTime() - core.clock.now().getTime());
    await statusBecomes(core.deps, id, 'succeeded');
    expect(core.trainer.trainings.size).toBe(1);
  });

  it('stop() lets the current step finish; a new worker started later finishes the pipeline', async () => {
    const core = memoryCore();
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    let building = false;
    const gated: Packager = {
      build: (key, sources) => {
        building = true;
        return core.packager.build(key, sources).andThen((facts) => ResultAsync.fromSafePromise(gate).map(() => facts));
      },
      readBack: (key) => core.packager.readBack(key),
    };
    const slowDeps: CoreDeps = { ...core.deps, packager: gated };
    const id = await startedTraining(core.deps, 'alice');
    const first = workerOver(slowDeps, leasesOver(core), 'w1');
    await eventually('packaging under way', () => building);
    const stopped = first.stop();
    open();
    await stopped;
    // The step in progress was finished and persisted, and nothing ran after it.
    expect((await pipelineOf(core.deps, id)).status).toBe('verifying_package');
    // A new process: fresh leases over the same database. Unfinished pipelines are simply due.
    track(workerOver(core.deps, leasesOver(core), 'w2'));
    await statusBecomes(core.deps, id, 'succeeded');
    expect(core.trainer.trainings.size).toBe(1);
  });

  it('resumes a pipeline whose worker died holding its lease, once the lease has expired', async () => {
    const core = memoryCore();
    const leases = leasesOver(core);
    const id = await startedTraining(core.deps, 'alice');
    // The dead worker claimed it and never came back.
    expect((await leases.claim({ workerId: 'dead', limit: 10, leaseMs: LEASE_MS, now: core.clock.now() }))._unsafeUnwrap()).toEqual([id]);
    track(workerOver(core.deps, leases, 'w2'));
    await leases.rounds(5);
    expect((await pipelineOf(core.deps, id)).status).toBe('queued');
    core.clock.advance(LEASE_MS);
    await statusBecomes(core.deps, id, 'succeeded');
  });

  it('renews the lease during a step longer than the lease: no other worker can claim the pipeline meanwhile', async () => {
    const core = memoryCore();
    const shortLeaseMs = 30;
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    let builds = 0;
    // Packaging that takes as long as the test says (a large photo set on slow S3).
    const slow: Packager = {
      build: (key, sources) => {
        builds += 1;
        return core.packager.build(key, sources).andThen((facts) => ResultAsync.fromSafePromise(gate).map(() => facts));
      },
      readBack: (key) => core.packager.readBack(key),
    };
    const deps: CoreDeps = { ...core.deps, packager: slow };
    const leases = leasesOver(core);
    const errors: unknown[] = [];
    const id = await startedTraining(core.deps, 'alice');
    const withShortLease = (workerId: string) =>
      startWorker({ deps, leases, workerId, pollIntervalMs: POLL_MS, leaseMs: shortLeaseMs, idleDelayMs: 2, onError: (e) => errors.push(e) });
    track(withShortLease('w1'));
    try {
      await eventually('packaging under way', () => builds === 1);
      // The step outlasts the lease w1 claimed (the fake clock says so); its renewals outlast the step.
      core.clock.advance(shortLeaseMs);
      const expiredAt = core.clock.now().getTime();
      await eventually('the lease renewed past its first end', () => leases.renewedUntil.some((until) => until.getTime() > expiredAt), 3_000);
      expect((await leases.claim({ workerId: 'w3', limit: 10, leaseMs: shortLeaseMs, now: core.clock.now() }))._unsafeUnwrap()).toEqual([]);
      track(withShortLease('w2'));
      await leases.rounds(5);
      expect(builds).toBe(1);
    } finally {
      // Whatever failed, let the step end so stopping the workers does not hang.
      open();
    }
    await statusBecomes(core.deps, id, 'succeeded');
    expect(builds).toBe(1);
    expect(core.trainer.trainings.size).toBe(1);
    expect(leases.strayRenewals).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('stops renewing a step hung past maxLeaseHoldMs, so another worker takes the pipeline over', async () => {
    const core = memoryCore();
    const shortLeaseMs = 30;
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    let builds = 0;
    // The first build hangs (a call that never answers); a later one goes through.
    const hanging: Packager = {
      build: (key, sources) => {
        builds += 1;
        const built = core.packager.build(key, sources);
        return builds === 1 ? built.andThen((facts) => ResultAsync.fromSafePromise(gate).map(() => facts)) : built;
      },
      readBack: (key) => core.packager.readBack(key),
    };
    const leases = leasesOver(core);
    const errors: unknown[] = [];
    const id = await startedTraining(core.deps, 'alice');
    const options = { deps: { ...core.deps, packager: hanging }, leases, pollIntervalMs: POLL_MS, leaseMs: shortLeaseMs, idleDelayMs: 2 };
    track(startWorker({ ...options, workerId: 'w1', maxLeaseHoldMs: 2 * shortLeaseMs, onError: (error) => errors.push(error) }));
    try {
      await eventually('packaging under way', () => builds === 1);
      // Past the hold: w1 gives up renewing and reports it; once its lease ends, w2 takes over.
      core.clock.advance(2 * shortLeaseMs);
      await eventually('the hung step reported', () => errors.length === 1, 3_000);
      expect(String(errors[0])).toContain('no longer renewed');
      core.clock.advance(2 * shortLeaseMs);
      track(startWorker({ ...options, workerId: 'w2' }));
      await eventually('w2 packages again', () => builds === 2, 3_000);
    } finally {
      open();
    }
    await statusBecomes(core.deps, id, 'succeeded');
  });

  it('reports a lease lost mid-step and finishes the step all the same', async () => {
    const core = memoryCore();
    const shortLeaseMs = 30;
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    let building = false;
    const slow: Packager = {
      build: (key, sources) => {
        building = true;
        return core.packager.build(key, sources).andThen((facts) => ResultAsync.fromSafePromise(gate).map(() => facts));
      },
      readBack: (key) => core.packager.readBack(key),
    };
    const inner = new MemoryPipelineLeases(core.db);
    let renewals = 0;
    // As if another worker had taken the lease over: every renewal answers false.
    const losing: PipelineLeases = {
      claim: (request) => inner.claim(request),
      defer: (request) => inner.defer(request),
      release: (request) => inner.release(request),
      renew: () => {
        renewals += 1;
        return okAsync(false);
      },
    };
    const errors: unknown[] = [];
    const id = await startedTraining(core.deps, 'alice');
    track(
      startWorker({
        deps: { ...core.deps, packager: slow },
        leases: losing,
        workerId: 'w1',
        pollIntervalMs: POLL_MS,
        leaseMs: shortLeaseMs,
        idleDelayMs: 2,
        onError: (error) => errors.push(error),
      }),
    );
    try {
      await eventually('packaging under way', () => building);
      await eventually('the lost lease reported', () => errors.length === 1, 3_000);
      expect(errors[0]).toMatchObject({ code: 'persistence.conflict' });
      expect(renewals).toBe(1);
    } finally {
      open();
    }
    await statusBecomes(core.deps, id, 'succeeded');
    // Later claims may lose theirs too (every renewal here answers false); nothing else went wrong.
    expect(errors.every((error) => (error as DomainError).code === 'persistence.conflict')).toBe(true);
  });

  it('two workers over one core never run a step twice: one submission per pipeline', async () => {
    const core = memoryCore();
    const inFlight = new Set<string>();
    const overlaps: string[] = [];
    const watched: Packager = {
      build: (key, sources) => {
        if (inFlight.has(key)) overlaps.push(key);
        inFlight.add(key);
        return core.packager.build(key, sources).map((facts) => {
          inFlight.delete(key);
          return facts;
        });
      },
      readBack: (key) => core.packager.readBack(key),
    };
    const deps: CoreDeps = { ...core.deps, packager: watched };
    const ids = [];
    for (const owner of ['alice', 'bob', 'carol', 'dave']) ids.push(await startedTraining(deps, owner));
    const shared = new CountingLeases(new MemoryPipelineLeases(core.db));
    const errors: unknown[] = [];
    track(workerOver(deps, shared, 'w1', errors));
    track(workerOver(deps, shared, 'w2', errors));
    for (const id of ids) await statusBecomes(deps, id, 'succeeded');
    const submitted = [...core.trainer.trainings.values()].map((t) => t.pipelineId).sort();
    expect(submitted).toEqual([...ids].sort());
    expect(overlaps).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('keeps going when the leases store fails, and reports it', async () => {
    const core = memoryCore();
    const id = await startedTraining(core.deps, 'alice');
    core.db.faults.failNext('transaction', 3);
    const errors: unknown[] = [];
    track(workerOver(core.deps, leasesOver(core), 'w1', errors));
    // Each injected fault (in a claim or in a step) is reported once, and the worker carries on.
    await eventually('every fault reported', () => errors.length === 3);
    core.clock.advance(POLL_MS);
    await statusBecomes(core.deps, id, 'succeeded');
  });
});
