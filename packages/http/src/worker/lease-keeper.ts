import { domainError, type PipelineId } from '@selfie-lora/core';
import type { WorkerContext } from './worker-context.js';

export interface HeldLease {
  /**
   * True once the lease is no longer this claim's: a renewal answered false (given back or taken
   * by another worker), or the step ran past `maxLeaseHoldMs` and was abandoned.
   */
  lost(): boolean;
  /** Stops renewing; resolves once no renewal is in flight. */
  letGo(): Promise<void>;
}

/**
 * Keeps the lease of a pipeline being advanced from running out under a long step: renews it
 * every leaseMs / 3. A lost lease is reported; the step in flight goes on (its write is
 * revision-checked) and no other starts. A step past maxLeaseHoldMs is abandoned: renewing stops
 * and `abandon` frees its slot. The timer is unref'd, and `stop` awaits the work, so it never
 * keeps the process alive; the renew in flight is awaited, so none lands after the pipeline is
 * handed back.
 */
export function keepLeased(ctx: WorkerContext, id: PipelineId, abandon: () => void): HeldLease {
  const { deps, leases, workerId, leaseMs, maxLeaseHoldMs, report, later } = ctx;
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
}
