import {
  advancePipeline,
  domainError,
  isActive,
  needsCleanup,
  type CoreDeps,
  type DomainError,
  type PipelineId,
  type PipelineLeases,
  type TrainingPipeline,
} from '@selfie-lora/core';

export interface WorkerOptions {
  readonly deps: CoreDeps;
  readonly leases: PipelineLeases;
  readonly workerId: string;
  /** TRAINING_POLL_INTERVAL_MS: how long a pipeline waiting for the trainer rests before it is polled. */
  readonly pollIntervalMs: number;
  /** How long a claim holds; a worker that dies mid-step loses its pipelines after this long. Default 5 min. */
  readonly leaseMs?: number;
  /**
   * How long one claim may keep renewing its lease (default 30 min). A step hung past this (a
   * call that never answers) stops renewing, so another worker can take the pipeline over.
   */
  readonly maxLeaseHoldMs?: number;
  /** Rest when nothing was due (default 500 ms); `wakeUp()` cuts it short. */
  readonly idleDelayMs?: number;
  /** Pipelines claimed, and advanced side by side, per round (default 4). */
  readonly batchSize?: number;
  readonly onError?: (error: unknown) => void;
}

export interface Worker {
  /** Lets the steps in progress finish, gives their leases back, and resolves. */
  stop(): Promise<void>;
  /** Ends the idle rest early: there is new work (called after a 202). */
  wakeUp(): void;
}

// Steps in a row for one pipeline before its lease is given back, so one pipeline cannot hog a worker.
const MAX_STEPS_PER_CLAIM = 16;

type Outcome = { readonly kind: 'release' } | { readonly kind: 'defer'; readonly until: Date };

/**
 * The background worker: claims due pipelines, advances each while it progresses, then hands it
 * back due when it next has something to do. Never throws out of its loop; every failure goes to
 * `onError` and the pipeline comes round again.
 */
export function startWorker(options: WorkerOptions): Worker {
  const { deps, leases, workerId, pollIntervalMs } = options;
  const leaseMs = options.leaseMs ?? 300_000;
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

  // Where a pipeline that made no progress stands: when it is next worth a look.
  const waiting = (pipeline: TrainingPipeline): Outcome => {
    if (!isActive(pipeline)) return needsCleanup(pipeline) ? { kind: 'defer', until: later(pollIntervalMs) } : { kind: 'release' };
    if (pipeline.retry.notBefore !== null && pipeline.retry.notBefore > deps.clock.now()) {
      return { kind: 'defer', until: pipeline.retry.notBefore };
    }
    if (pipeline.status === 'training') return { kind: 'defer', until: later(pollIntervalMs) };
    return { kind: 'release' };
  };

  const failed = (error: DomainError): Outcome => {
    // Another worker moved it (an expired lease) or it is gone: it will be read afresh.
    if (error.code === 'persistence.conflict' || error.code === 'training.not_found') return { kind: 'release' };
    report(error);
    return { kind: 'defer', until: later(pollIntervalMs) };
  };

  // Advances one pipeline until it waits, ends clean, or the worker stops; says how to hand it back.
  const work = async (id: PipelineId): Promise<Outcome> => {
    for (let step = 0; step < MAX_STEPS_PER_CLAIM && !stopping; step += 1) {
      const outcome = await advancePipeline(deps, id).match(
        ({ pipeline, progressed }): Outcome | 'again' => (progressed ? 'again' : waiting(pipeline)),
        failed,
      );
      if (outcome !== 'again') return outcome;
    }
    return { kind: 'release' };
  };

  // Keeps the lease of a pipeline in `work` from running out under a long step: renews it every
  // leaseMs / 3. A lost lease is reported and the step goes on (its write is revision-checked).
  // The timer is unref'd, and `stop` awaits the work, so it never keeps the process alive; the
  // renew in flight is awaited, so none lands after the pipeline is handed back.
  const keepLeased = (id: PipelineId) => {
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
        // Hung, as far as anyone can tell: let the lease run out so another worker takes over.
        lost = true;
        report(new Error(`worker ${workerId}: a step on pipeline ${id} ran past ${maxLeaseHoldMs} ms; its lease is no longer renewed`));
        return;
      }
      inFlight = attempt().finally(() => {
        inFlight = null;
      });
    }, Math.max(1, Math.floor(leaseMs / 3)));
    timer.unref();
    return async () => {
      clearInterval(timer);
      await inFlight;
    };
  };

  const handBack = (id: PipelineId, outcome: Outcome): Promise<void> =>
    (outcome.kind === 'defer' ? leases.defer({ workerId, id, until: outcome.until }) : leases.release({ workerId, id })).match(
      () => undefined,
      // The lease then simply expires and the pipeline comes round again.
      report,
    );

  const advanceAll = (ids: readonly PipelineId[]): Promise<number> =>
    Promise.all(
      ids.map(async (id) => {
        let outcome: Outcome;
        const letGo = keepLeased(id);
        try {
          outcome = await work(id);
        } catch (cause) {
          // A port that threw instead of answering: do not lose the loop over it.
          report(cause);
          outcome = { kind: 'defer', until: later(pollIntervalMs) };
        } finally {
          await letGo();
        }
        await handBack(id, outcome);
      }),
    ).then(() => ids.length);

  const round = async (): Promise<number> =>
    await leases.claim({ workerId, limit: batchSize, leaseMs, now: deps.clock.now() }).match(advanceAll, (error) => {
      report(error);
      return Promise.resolve(0);
    });

  const loop = (async () => {
    while (!stopping) {
      let claimed = 0;
      try {
        claimed = await round();
      } catch (cause) {
        report(cause);
      }
      if (claimed === 0 && !stopping) await sleep(idleDelayMs);
    }
  })();

  return {
    wakeUp,
    stop: async () => {
      stopping = true;
      wakeUp();
      await loop;
    },
  };
}
