import { afterEach, describe, expect, it, vi } from 'vitest';
import { okAsync, ResultAsync } from 'neverthrow';
import { MemoryPipelineLeases } from '@selfie-lora/adapters/memory';
import type { CoreDeps, Packager, PipelineId, PipelineLeases } from '@selfie-lora/core';
import { backgroundJobs, startWorker, type Worker } from '../../src/worker/index.js';
import {
  CountingLeases,
  LEASE_MS,
  POLL_MS,
  eventually,
  gatedPackager,
  leasesOver,
  memoryCore,
  pipelineOf,
  startedTraining,
  statusBecomes,
  workerOver,
} from './worker-support.js';

const zipsIn = (keys: readonly string[]) => keys.filter((key) => key.startsWith('trainings/'));

/** Counting leases that also record when each pipeline handed back was deferred until. */
class DeferRecordingLeases extends CountingLeases {
  readonly defers: Date[] = [];
  override defer(request: { workerId: string; id: PipelineId; until: Date }) {
    this.defers.push(request.until);
    return super.defer(request);
  }
}

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

  it('with the training sweep, one listing a round finds a training ended long before its own poll, and only then is it asked about', async () => {
    const core = memoryCore({ autoComplete: false });
    const leases = leasesOver(core);
    const id = await startedTraining(core.deps, 'alice');
    const rounds: boolean[] = [];
    const jobs = backgroundJobs(core.deps, { everyMs: 5, trainingSweep: true }).map((job) =>
      job.name === 'training-sweep' ? { ...job, run: () => job.run().finally(() => rounds.push(true)) } : job,
    );
    track(startWorker({ deps: core.deps, leases, workerId: 'w1', pollIntervalMs: POLL_MS, trainingPollIntervalMs: POLL_MS * 20, idleDelayMs: 2, jobs }));
    await statusBecomes(core.deps, id, 'training');
    const gets = vi.spyOn(core.trainer, 'get');
    const seen = rounds.length;
    await eventually('three sweeps while the training runs', () => rounds.length >= seen + 3);
    // Still running at the trainer: the listing said so, nobody asked about it on its own.
    expect(gets).not.toHaveBeenCalled();
    core.trainer.finish([...core.trainer.trainings.keys()][0]!, 'succeeded');
    // The worker's clock never moves: no own poll falls due, the sweep alone completes it.
    await statusBecomes(core.deps, id, 'succeeded');
    await eventually('package deleted', () => zipsIn(core.store.keys()).length === 0);
    expect(gets).toHaveBeenCalledTimes(1);
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

  it('backs off a clean-up that keeps failing: the ended pipeline is deferred until its retry time', async () => {
    const core = memoryCore();
    const leases = new DeferRecordingLeases(new MemoryPipelineLeases(core.db));
    core.store.faults.failNext('delete', 1_000);
    const errors: unknown[] = [];
    const id = await startedTraining(core.deps, 'alice');
    track(workerOver(core.deps, leases, 'w1', errors));
    // Each failed try is deferred by the poll interval; come back until the backoff outgrows it.
    let attempt = 0;
    let owed = await pipelineOf(core.deps, id);
    do {
      if (attempt > 0) core.clock.advance(POLL_MS);
      const before = attempt;
      await eventually(`clean-up try ${before + 1}`, async () => (await pipelineOf(core.deps, id)).retry.attempt > before);
      owed = await pipelineOf(core.deps, id);
      attempt = owed.retry.attempt;
    } while (owed.retry.notBefore!.getTime() - core.clock.now().getTime() <= POLL_MS);
    expect(owed.status).toBe('succeeded');
    const notBefore = owed.retry.notBefore!;

    core.clock.advance(POLL_MS);
    await eventually('deferred until its retry time', () => leases.defers.some((until) => until.getTime() === notBefore.getTime()), 3_000);
    await leases.rounds(5);
    expect((await pipelineOf(core.deps, id)).retry.attempt).toBe(attempt);
    core.clock.advance(notBefore.getTime() - core.clock.now().getTime());
    await eventually('tried again at its retry time', async () => (await pipelineOf(core.deps, id)).retry.attempt === attempt + 1);
    expect(zipsIn(core.store.keys())).toHaveLength(1);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('stop() lets the current step finish; a new worker started later finishes the pipeline', async () => {
    const core = memoryCore();
    const gated = gatedPackager(core);
    const slowDeps: CoreDeps = { ...core.deps, packager: gated.packager };
    const id = await startedTraining(core.deps, 'alice');
    const first = workerOver(slowDeps, leasesOver(core), 'w1');
    await eventually('packaging under way', () => gated.builds() > 0);
    const stopped = first.stop();
    gated.open();
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
    // Packaging that takes as long as the test says (a large photo set on slow S3).
    const slow = gatedPackager(core);
    const deps: CoreDeps = { ...core.deps, packager: slow.packager };
    const leases = leasesOver(core);
    const errors: unknown[] = [];
    const id = await startedTraining(core.deps, 'alice');
    const withShortLease = (workerId: string) =>
      startWorker({ deps, leases, workerId, pollIntervalMs: POLL_MS, leaseMs: shortLeaseMs, idleDelayMs: 2, onError: (e) => errors.push(e) });
    track(withShortLease('w1'));
    try {
      await eventually('packaging under way', () => slow.builds() === 1);
      // The step outlasts the lease w1 claimed (the fake clock says so); its renewals outlast the step.
      core.clock.advance(shortLeaseMs);
      const expiredAt = core.clock.now().getTime();
      await eventually('the lease renewed past its first end', () => leases.renewedUntil.some((until) => until.getTime() > expiredAt), 3_000);
      expect((await leases.claim({ workerId: 'w3', limit: 10, leaseMs: shortLeaseMs, now: core.clock.now() }))._unsafeUnwrap()).toEqual([]);
      track(withShortLease('w2'));
      await leases.rounds(5);
      expect(slow.builds()).toBe(1);
    } finally {
      // Whatever failed, let the step end so stopping the workers does not hang.
      slow.open();
    }
    await statusBecomes(core.deps, id, 'succeeded');
    expect(slow.builds()).toBe(1);
    expect(core.trainer.trainings.size).toBe(1);
    expect(leases.strayRenewals).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('stops renewing a step hung past maxLeaseHoldMs, so another worker takes the pipeline over', async () => {
    const core = memoryCore();
    const shortLeaseMs = 30;
    // The first build hangs (a call that never answers); a later one goes through.
    const hanging = gatedPackager(core, (build) => build === 1);
    const leases = leasesOver(core);
    const errors: unknown[] = [];
    const id = await startedTraining(core.deps, 'alice');
    const options = { deps: { ...core.deps, packager: hanging.packager }, leases, pollIntervalMs: POLL_MS, leaseMs: shortLeaseMs, idleDelayMs: 2 };
    track(startWorker({ ...options, workerId: 'w1', maxLeaseHoldMs: 2 * shortLeaseMs, onError: (error) => errors.push(error) }));
    try {
      await eventually('packaging under way', () => hanging.builds() === 1);
      // Past the hold: w1 gives up renewing and reports it; once its lease ends, w2 takes over.
      core.clock.advance(2 * shortLeaseMs);
      await eventually('the hung step reported', () => errors.length === 1, 3_000);
      expect(String(errors[0])).toContain('no longer renewed');
      core.clock.advance(2 * shortLeaseMs);
      track(startWorker({ ...options, workerId: 'w2' }));
      await eventually('w2 packages again', () => hanging.builds() === 2, 3_000);
    } finally {
      hanging.open();
    }
    await statusBecomes(core.deps, id, 'succeeded');
  });

  it('reports a lease lost mid-step, finishes that step, and runs no other under it', async () => {
    const core = memoryCore();
    const shortLeaseMs = 30;
    // w1's packager: packaging waits for the test; verifying the package (the next step) is counted.
    const slow = gatedPackager(core);
    const inner = new MemoryPipelineLeases(core.db);
    let renewals = 0;
    let claims = 0;
    // As if another worker had taken the lease over: every renewal answers false.
    const losing: PipelineLeases = {
      claim: (request) => {
        claims += 1;
        return inner.claim(request);
      },
      defer: (request) => inner.defer(request),
      release: (request) => inner.release(request),
      renew: () => {
        renewals += 1;
        return okAsync(false);
      },
    };
    const errors: unknown[] = [];
    const id = await startedTraining(core.deps, 'alice');
    const w1 = startWorker({
      deps: { ...core.deps, packager: slow.packager },
      leases: losing,
      workerId: 'w1',
      pollIntervalMs: POLL_MS,
      leaseMs: shortLeaseMs,
      idleDelayMs: 2,
      onError: (error) => errors.push(error),
    });
    track(w1);
    try {
      await eventually('packaging under way', () => slow.builds() > 0);
      await eventually('the lost lease reported', () => errors.length === 1, 3_000);
      expect(errors[0]).toMatchObject({ code: 'persistence.conflict' });
      expect(renewals).toBe(1);
    } finally {
      slow.open();
    }
    // The step in flight finished and was saved...
    await eventually('the packaging step saved', async () => (await pipelineOf(core.deps, id)).status !== 'packaging', 3_000);
    const seen = claims;
    await eventually('w1 came round a few more times', () => claims >= seen + 5, 3_000);
    // ...and nothing ran after it under the lost lease: no verification, no submission.
    expect((await pipelineOf(core.deps, id)).status).toBe('verifying_package');
    expect(slow.readBacks()).toBe(0);
    expect(core.trainer.trainings.size).toBe(0);
    // Nor was the lease given back: it is not w1's to give (it only runs out).
    expect((await inner.claim({ workerId: 'w3', limit: 10, leaseMs: shortLeaseMs, now: core.clock.now() }))._unsafeUnwrap()).toEqual([]);
    await w1.stop();
    // Once that lease has run out, another worker carries on.
    core.clock.advance(shortLeaseMs);
    track(workerOver(core.deps, inner, 'w2', errors));
    await statusBecomes(core.deps, id, 'succeeded');
    expect(slow.readBacks()).toBe(0);
    expect(core.trainer.trainings.size).toBe(1);
    expect(errors).toHaveLength(1);
  });

  it('a hung step holds up only its own slot: a pipeline started later is advanced by the same worker', async () => {
    const core = memoryCore();
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    let builds = 0;
    // The first build hangs until the end of the test; later ones go through.
    const hangsFirst: Packager = {
      build: (key, sources) => {
        builds += 1;
        return builds === 1 ? ResultAsync.fromSafePromise(gate).andThen(() => core.packager.build(key, sources)) : core.packager.build(key, sources);
      },
      readBack: (key) => core.packager.readBack(key),
    };
    const errors: unknown[] = [];
    const alice = await startedTraining(core.deps, 'alice');
    track(
      startWorker({
        deps: { ...core.deps, packager: hangsFirst },
        leases: leasesOver(core),
        workerId: 'w1',
        pollIntervalMs: POLL_MS,
        leaseMs: LEASE_MS,
        idleDelayMs: 2,
        batchSize: 2,
        onError: (error) => errors.push(error),
      }),
    );
    try {
      await eventually('packaging under way', () => builds === 1);
      const bob = await startedTraining(core.deps, 'bob');
      await eventually('bob succeeded', async () => (await pipelineOf(core.deps, bob)).status === 'succeeded', 3_000);
      expect((await pipelineOf(core.deps, alice)).status).toBe('packaging');
      expect(builds).toBe(2);
    } finally {
      open();
    }
    await statusBecomes(core.deps, alice, 'succeeded');
    expect(core.trainer.trainings.size).toBe(2);
    expect(errors).toEqual([]);
  });

  it('with one slot, a step hung past maxLeaseHoldMs gives it up: the worker goes on, stop() does not wait, the late write is refused', async () => {
    const core = memoryCore();
    const shortLeaseMs = 30;
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    let builds = 0;
    let lateBuilt = false;
    // The first build hangs until the test lets it write its ZIP, long after; later ones go through.
    const hangsFirst: Packager = {
      build: (key, sources) => {
        builds += 1;
        if (builds > 1) return core.packager.build(key, sources);
        return ResultAsync.fromSafePromise(gate)
          .andThen(() => core.packager.build(key, sources))
          .map((facts) => {
            lateBuilt = true;
            return facts;
          });
      },
      readBack: (key) => core.packager.readBack(key),
    };
    const leases = leasesOver(core);
    const errors: unknown[] = [];
    const alice = await startedTraining(core.deps, 'alice');
    const w1 = startWorker({
      deps: { ...core.deps, packager: hangsFirst },
      leases,
      workerId: 'w1',
      pollIntervalMs: POLL_MS,
      leaseMs: shortLeaseMs,
      maxLeaseHoldMs: 2 * shortLeaseMs,
      idleDelayMs: 2,
      batchSize: 1,
      onError: (error) => errors.push(error),
    });
    track(w1);
    try {
      await eventually('packaging under way', () => builds === 1);
      const bob = await startedTraining(core.deps, 'bob');
      // The only slot is taken: w1 keeps the hung step's lease and claims nothing meanwhile.
      const claims = leases.claims;
      const renewed = leases.renewedUntil.length;
      await eventually('a few renewals', () => leases.renewedUntil.length >= renewed + 3, 3_000);
      expect(leases.claims).toBe(claims);
      expect((await pipelineOf(core.deps, bob)).status).toBe('queued');
      // Past the hold: the hung step is abandoned and its slot freed; the lease runs out.
      core.clock.advance(2 * shortLeaseMs);
      await eventually('the hung step reported', () => errors.length === 1, 3_000);
      expect(String(errors[0])).toContain('no longer renewed');
      // The same worker advances bob, and takes alice over (packaging her again), while the first build still hangs.
      await eventually('bob succeeded', async () => (await pipelineOf(core.deps, bob)).status === 'succeeded', 3_000);
      await eventually('alice succeeded', async () => (await pipelineOf(core.deps, alice)).status === 'succeeded', 3_000);
      // The hung build, bob's, and alice's again.
      expect(builds).toBe(3);
      // stop() waits for no abandoned step.
      await w1.stop();
      expect(lateBuilt).toBe(false);
    } finally {
      open();
    }
    // The hung build answers at last and writes its ZIP: its step's write is refused (alice moved
    // on), and the ZIP it left for an ended pipeline is deleted again. Nothing submitted twice.
    await eventually('the hung build answers', () => lateBuilt, 3_000);
    await eventually('its ZIP deleted again', () => zipsIn(core.store.keys()).length === 0, 3_000);
    expect((await pipelineOf(core.deps, alice)).status).toBe('succeeded');
    expect(core.trainer.trainings.size).toBe(2);
    expect(errors).toHaveLength(1);
  });

  it('never advances one pipeline twice at once, even when a claim returns one it is advancing', async () => {
    const core = memoryCore();
    const slow = gatedPackager(core);
    const inner = new MemoryPipelineLeases(core.db);
    // Claims that also answer every pipeline this worker holds, as one made after its lease ran out would.
    const held = new Set<PipelineId>();
    let claims = 0;
    const echoing: PipelineLeases = {
      claim: (request) =>
        inner.claim(request).map((ids) => {
          claims += 1;
          const all = [...new Set([...ids, ...held])];
          for (const id of all) held.add(id);
          return all;
        }),
      defer: (request) => {
        held.delete(request.id);
        return inner.defer(request);
      },
      release: (request) => {
        held.delete(request.id);
        return inner.release(request);
      },
      renew: (request) => inner.renew(request),
    };
    const errors: unknown[] = [];
    const id = await startedTraining(core.deps, 'alice');
    track(startWorker({ deps: { ...core.deps, packager: slow.packager }, leases: echoing, workerId: 'w1', pollIntervalMs: POLL_MS, leaseMs: LEASE_MS, idleDelayMs: 2, onError: (e) => errors.push(e) }));
    try {
      await eventually('packaging under way', () => slow.builds() > 0);
      const seen = claims;
      await eventually('alice claimed again a few times', () => claims >= seen + 5, 3_000);
      expect(slow.builds()).toBe(1);
    } finally {
      slow.open();
    }
    await statusBecomes(core.deps, id, 'succeeded');
    expect(slow.builds()).toBe(1);
    expect(core.trainer.trainings.size).toBe(1);
    expect(errors).toEqual([]);
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
