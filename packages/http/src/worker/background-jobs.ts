import { carryOutDueErasures, sweepExpired, type CoreDeps } from '@selfie-lora/core';
import type { ScheduledJob } from './scheduled-jobs.js';

/** Erasures taken per round: each is one store or trainer call, so a round stays short. */
const ERASURES_PER_ROUND = 16;

/** How often expired webhook deliveries and abandoned staging objects are swept (docs/security.md "Housekeeping"). */
export const DEFAULT_HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;

/**
 * The worker's scheduled jobs: erasures owed (a photo whose bytes storage failed to delete, and
 * so on) are carried out as they fall due, with backoff, until done; and housekeeping
 * (`sweepExpired`: webhook deliveries past their retention, abandoned staging objects), where
 * several workers sweeping at once only repeat idempotent deletes.
 */
export function backgroundJobs(
  deps: CoreDeps,
  options: { readonly everyMs: number; readonly housekeepingEveryMs?: number },
): ScheduledJob[] {
  return [
    {
      name: 'housekeeping',
      everyMs: options.housekeepingEveryMs ?? DEFAULT_HOUSEKEEPING_INTERVAL_MS,
      // A sweep reports what it could not remove in its result and is simply tried next round.
      run: () => sweepExpired(deps).map(() => false).unwrapOr(false),
    },
    {
      name: 'erasures',
      everyMs: options.everyMs,
      run: () =>
        carryOutDueErasures(deps, { limit: ERASURES_PER_ROUND }).match(
          (round) => round.done + round.refused + round.retried > 0,
          (error) => {
            throw new Error(`erasures: ${error.code} ${error.detail ?? ''}`);
          },
        ),
    },
  ];
}
