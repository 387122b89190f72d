import {
  advancePipeline,
  domainError,
  nextDueAt,
  type CoreDeps,
  type DomainError,
  type PipelineId,
  type PipelineLeases,
  type TrainingPipeline,
} from '@selfie-lora/core';
import { startScheduledJobs, type ScheduledJob } from './scheduled-jobs.js';

export interface WorkerOptions {
  readonly deps: CoreDeps;
  readonly leases: PipelineLeases;
  readonly workerId: string;
  /** TRAINING_POLL_INTERVAL_MS: how long a pipeline waiting for the trainer rests before it is polled. */
  readonly pollIntervalMs: number;
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

// Steps in a row for one pipeline before its lease is given back, so one pipeline cannot hog a worker.
const MAX_STEPS_PER_CLAIM = 16;

type Outcome = { readonly kind: 'release' } | { readonly kind: 'defer'; readonly until: Date };

interface HeldLease {
  /**
   * True once the lease is no longer this claim's: a renewal answered false (given back or taken
   * by another worker), or the step ran past `maxLeaseHoldMs` and was abandoned.
   */
  lost(): boolean;
  /** Stops renewing; resolves once no renewal is in flight. */
  letGo(): Promise<void>;
}

/**
 * The background worker: claims due pipelines into up to `batchSize` slots, advances each while it
 * progresses and holds its lease, then hands it back due when it next has something to do. Slots
 * are independent: a pipeline handed back frees its slot for the next claim at once, whatever the
 * others are doing. Never throws out of its loop; every failure goes to `onError` and the
 * pipeline comes round again.
 */
export function startWorker(options: WorkerOptions): Worker {
  const { deps, leases, workerId, pollIntervalMs } = options;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const maxLeaseHoldMs = options.maxLeaseHoldMs ?? 1_800_000;
  const idleDelayMs = options.idleDelayMs ?? 500;
  const batchSize = options.batchSize ?? 4;
  const report = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      // A failing error hook must not stop the worker.
    }
  };

  const scheduled = startScheduledJobs(options.jobs ?? [], report);
  let stopping = false;
  let woken = false;
  let rest: { timer: NodeJS.Timeout; resolve: () => void } | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken || stopping) {
        woken = false;
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        rest = null;
        resolve();
      }, ms);
      rest = { timer, resolve };
    });

  const wakeUp = () => {
    if (rest) {
      clearTimeout(rest.timer);
      const { resolve } = rest;
      rest = null;
      resolve();
    } else {
      woken = true;
    }
  };

  const later = (ms: number) => new Date(deps.clock.now().getTime() + ms);

  // Where a pipeline that made no progress stands: the core's rule says when it is next due.
  const waiting = (pipeline: TrainingPipeline): Outcome => {
    const now = deps.clock.now();
    const due = nextDueAt(pipeline, now, pollIntervalMs);
    return due !== null && due > now ? { kind: 'defer', until: due } : { kind: 'release' };
  };

  const failed = (error: DomainError): Outcome => {
    // Another worker moved it (an expired lease) or it is gone: it will be read afresh.
    if (error.code === 'persistence.conflict' || error.code === 'training.not_found') return { kind: 'release' };
    report(error);
    return { kind: 'defer', until: later(pollIntervalMs) };
  };

  // Advances one pipeline until it waits, ends clean, the worker stops, or the lease is lost; says
  // how to hand it back. A step in flight when the lease is lost finishes (its write is
  // revision-checked), but none starts after it: the pipeline may be another worker's now.
  const work = async (id: PipelineId, lease: HeldLease): Promise<Outcome> => {
    for (let step = 0; step < MAX_STEPS_PER_CLAIM && !stopping && !lease.lost(); step += 1) {
      const outcome = await advancePipeline(deps, id).match(
        ({ pipeline, progressed }): Outcome | 'again' => (progressed ? 'again' : waiting(pipeline)),
        failed,
      );
      if (outcome !== 'again') return outcome;
    }
    return { kind: 'release' };
  };

  // Keeps the lease of a pipeline in `work` from running out under a long step: renews it every
  // leaseMs / 3. A lost lease is reported; the step in flight goes on (its write is
  // revision-checked) and `work` starts no other. A step past maxLeaseHoldMs is abandoned:
  // renewing stops and `abandon` frees its slot. The timer is unref'd, and `stop` awaits the
  // work, so it never keeps the process alive; the renew in flight is awaited, so none lands
  // after the pipeline is handed back.
  const keepLeased = (id: PipelineId, abandon: () => void): HeldLease => {
    let inFlight: Promise<void> | null = null;
    let lost = false;
    const holdUntil = later(maxLeaseHoldMs);
    const attempt = async () => {
      try {
        const held = await leases.renew({ workerId, id, until: later(leaseMs) });
        held.match((stillHeld) => {
          if (stillHeld) return;
          // Given back or claimed by another worker: renewing again cannot bring it back.
          lost = true;
          report(domainError('persistence.conflict', `worker ${workerId} lost its lease on pipeline ${id} during a step`));
        }, report);
      } catch (cause) {
        // A port that threw instead of answering: a timer callback must not crash the process.
        report(cause);
      }
    };
    const timer = setInterval(() => {
      if (inFlight !== null || lost) return;
      if (deps.clock.now() >= holdUntil) {
        // Hung, as far as anyone can tell: let the lease run out so a worker (this one too) takes over.
        lost = true;
        clearInterval(timer);
        report(new Error(`worker ${workerId}: a step on pipeline ${id} ran past ${maxLeaseHoldMs} ms; its lease is no longer renewed`));
        abandon();
        return;
      }
      inFlight = attempt().finally(() => {
        inFlight = null;
      });
    }, Math.max(1, Math.floor(leaseMs / 3)));
    timer.unref();
    return {
      lost: () => lost,
      letGo: async () => {
        clearInterval(timer);
        await inFlight;
      },
    };
  };

  const handBack = (id: PipelineId, outcome: Outcome): Promise<void> =>
    (outcome.kind === 'defer' ? leases.defer({ workerId, id, until: outcome.until }) : leases.release({ workerId, id })).match(
      () => undefined,
      // The lease then simply expires and the pipeline comes round again.
      report,
    );

  // The pipelines this worker is advancing, each with its slot: resolved when the pipeline has
  // been handed back, or abandoned past maxLeaseHoldMs.
  const slots = new Map<PipelineId, Promise<void>>();

  const advance = (id: PipelineId): void => {
    let resolveSlot = () => {};
    slots.set(
      id,
      new Promise<void>((resolve) => {
        resolveSlot = resolve;
      }),
    );
    let freed = false;
    const freeSlot = () => {
      if (freed) return;
      freed = true;
      slots.delete(id);
      resolveSlot();
      // The loop may be resting with every slot busy: there is room now.
      wakeUp();
    };
    const lease = keepLeased(id, freeSlot);
    void (async () => {
      let outcome: Outcome;
      try {
        outcome = await work(id, lease);
      } catch (cause) {
        // A port that threw instead of answering: do not lose the loop over it.
        report(cause);
        outcome = { kind: 'defer', until: later(pollIntervalMs) };
      } finally {
        await lease.letGo();
      }
      // A lost lease is not given back: another worker may hold it now, or, once abandoned, this
      // worker under a newer claim (a give-back names the worker, not the claim). It runs out.
      if (!lease.lost()) await handBack(id, outcome);
    })()
      .catch(report)
      .finally(freeSlot);
  };

  // Claims into the free slots; answers how many pipelines the claim returned.
  const claimInto = async (free: number): Promise<number> => {
    const ids = await leases.claim({ workerId, limit: free, leaseMs, now: deps.clock.now() }).match(
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
      if ((free <= 0 || claimed < free) && !stopping) await sleep(idleDelayMs);
    }
    await Promise.all(slots.values());
  })();

  return {
    wakeUp,
    stop: async () => {
      stopping = true;
      wakeUp();
      await Promise.all([loop, scheduled.stop()]);
    },
  };
}
