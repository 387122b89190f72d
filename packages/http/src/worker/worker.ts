import type { CoreDeps, PipelineId, PipelineLeases } from '@selfie-lora/core';
import { advanceClaimed, handBack, type Outcome } from './claimed-pipeline.js';
import { keepLeased } from './lease-keeper.js';
import { startScheduledJobs, type ScheduledJob } from './scheduled-jobs.js';
import { createSleeper } from './sleeper.js';
import { SlotPool } from './slot-pool.js';
import type { WorkerContext } from './worker-context.js';

export interface WorkerOptions {
  readonly deps: CoreDeps;
  readonly leases: PipelineLeases;
  readonly workerId: string;
  /** TRAINING_POLL_INTERVAL_MS: how long a pipeline waiting for the trainer, or for a failed call to be retried, rests. */
  readonly pollIntervalMs: number;
  /**
   * How long a pipeline waiting for the trainer rests before it is polled on its own (default
   * `pollIntervalMs`). Longer when the `training-sweep` job runs: it asks about every training
   * with one listing, so the own poll is only the fallback for those the listing did not reach.
   */
  readonly trainingPollIntervalMs?: number;
  /**
   * How long a claim holds unless renewed (every leaseMs / 3 while a step runs). A worker killed
   * mid-step loses its pipelines after at most this long, so it bounds recovery after a crash.
   * Default 15 s (decision: short leases renewed often), well inside the 60 s the spec allows.
   */
  readonly leaseMs?: number;
  /**
   * How long one claim may keep renewing its lease (default 30 min). A step hung past this (a
   * call that never answers) is abandoned: its lease is no longer renewed, so once it runs out
   * this worker or another takes the pipeline over; its slot is freed at once, `stop` no longer
   * waits for it, and if it ever answers it runs no further step and hands nothing back (its
   * write is revision-checked, so it is refused if the pipeline moved on meanwhile).
   */
  readonly maxLeaseHoldMs?: number;
  /** Rest when nothing was due, or every slot is busy (default 500 ms); `wakeUp()` and a pipeline handed back cut it short. */
  readonly idleDelayMs?: number;
  /**
   * Pipelines advanced side by side (default 4). Each is claimed into a slot of its own and its
   * slot is refilled as soon as it is handed back, so one slow or hung step holds up only its own.
   */
  readonly batchSize?: number;
  readonly onError?: (error: unknown) => void;
  /** Jobs run beside the pipelines on their own schedule (erasures owed); stopped with the worker. */
  readonly jobs?: readonly ScheduledJob[];
}

export interface Worker {
  /**
   * Lets the steps in progress finish, gives their leases back, and resolves. A step that hangs
   * keeps it waiting until it has run past `maxLeaseHoldMs` and is abandoned, not for ever.
   */
  stop(): Promise<void>;
  /** Ends the idle rest early: there is new work (called after a 202). */
  wakeUp(): void;
}

/** See `WorkerOptions.leaseMs`. */
export const DEFAULT_LEASE_MS = 15_000;

/**
 * The background worker: claims due pipelines into up to `batchSize` slots, advances each while it
 * progresses and holds its lease, then hands it back due when it next has something to do. Slots
 * are independent: a pipeline handed back frees its slot for the next claim at once, whatever the
 * others are doing. Never throws out of its loop; every failure goes to `onError` and the
 * pipeline comes round again.
 */
export function startWorker(options: WorkerOptions): Worker {
  const { deps, leases, workerId } = options;
  const idleDelayMs = options.idleDelayMs ?? 500;
  const batchSize = options.batchSize ?? 4;
  const report = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      // A failing error hook must not stop the worker.
    }
  };
  let stopping = false;
  const ctx: WorkerContext = {
    deps,
    leases,
    workerId,
    pollIntervalMs: options.pollIntervalMs,
    trainingPollIntervalMs: options.trainingPollIntervalMs ?? options.pollIntervalMs,
    leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
    maxLeaseHoldMs: options.maxLeaseHoldMs ?? 1_800_000,
    report,
    later: (ms) => new Date(deps.clock.now().getTime() + ms),
    stopping: () => stopping,
  };

  const scheduled = startScheduledJobs(options.jobs ?? [], report);
  const sleeper = createSleeper();
  // A freed slot ends the loop's rest: there is room for a claim now.
  const slots = new SlotPool(sleeper.wakeUp);

  const advance = (id: PipelineId): void =>
    slots.run(id, async (freeSlot) => {
      const lease = keepLeased(ctx, id, freeSlot);
      let outcome: Outcome;
      try {
        outcome = await advanceClaimed(ctx, id, lease);
      } catch (cause) {
        // A port that threw instead of answering: do not lose the loop over it.
        report(cause);
        outcome = { kind: 'defer', until: ctx.later(ctx.pollIntervalMs) };
      } finally {
        await lease.letGo();
      }
      // A lost lease is not given back: another worker may hold it now, or, once abandoned, this
      // worker under a newer claim (a give-back names the worker, not the claim). It runs out.
      if (!lease.lost()) await handBack(ctx, id, outcome).catch(report);
    });

  // Claims into the free slots; answers how many pipelines the claim returned.
  const claimInto = async (free: number): Promise<number> => {
    const ids = await leases.claim({ workerId, limit: free, leaseMs: ctx.leaseMs, now: deps.clock.now() }).match(
      (claimed) => claimed,
      (error): readonly PipelineId[] => {
        report(error);
        return [];
      },
    );
    for (const id of ids) {
      // Already being advanced here (never twice at once): its lease had run out under a long
      // step (renewals failing) and this claim renewed it, for the run in progress to keep and
      // hand back. A run that lost its lease meanwhile hands nothing back; this claim runs out.
      if (!slots.has(id)) advance(id);
    }
    return ids.length;
  };

  const loop = (async () => {
    while (!stopping) {
      const free = batchSize - slots.size;
      let claimed = 0;
      try {
        if (free > 0) claimed = await claimInto(free);
      } catch (cause) {
        report(cause);
      }
      // Every slot busy, or fewer pipelines due than free slots: rest until a slot frees, a
      // wakeUp(), or the idle delay.
      if ((free <= 0 || claimed < free) && !stopping) await sleeper.sleep(idleDelayMs);
    }
    await slots.drained();
  })();

  return {
    wakeUp: sleeper.wakeUp,
    stop: async () => {
      stopping = true;
      sleeper.stop();
      await Promise.all([loop, scheduled.stop()]);
    },
  };
}
