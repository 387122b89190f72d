import { carryOutDueErasures, type CoreDeps } from '@selfie-lora/core';
import type { ScheduledJob } from './scheduled-jobs.js';

/** Erasures taken per round: each is one store or trainer call, so a round stays short. */
const ERASURES_PER_ROUND = 16;

/**
 * The worker's scheduled jobs: erasures owed (a photo whose bytes storage failed to delete, and
 * so on) are carried out as they fall due, with backoff, until done.
 */
export function backgroundJobs(deps: CoreDeps, options: { readonly everyMs: number }): ScheduledJob[] {
  return [
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
