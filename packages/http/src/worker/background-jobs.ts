import { carryOutDueErasures, checkDueUploads, erasePhotosPastRetention, sweepExpired, sweepTrainings, type CoreDeps } from '@selfie-lora/core';
import type { ScheduledJob } from './scheduled-jobs.js';

/** Erasures taken per round: each is one store or trainer call, so a round stays short. */
const ERASURES_PER_ROUND = 16;

/** How often expired webhook deliveries and abandoned staging objects are swept (docs/security.md "Housekeeping"). */
export const DEFAULT_HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;

/**
 * How often photos received and still checking are looked for (a round that checked some runs
 * again at once): the wait an owner sees before a photo's check starts, at most.
 */
export const DEFAULT_PHOTO_CHECKS_INTERVAL_MS = 500;

/** Photos claimed per round, and checked at once (the image queue bounds the decodes and the face model). */
const PHOTO_CHECKS_PER_ROUND = 8;
const PHOTO_CHECKS_AT_ONCE = 4;

/** How often photos past retention are looked for; a round that deleted some runs again at once. */
export const DEFAULT_RETENTION_INTERVAL_MS = 10 * 60_000;

/**
 * Pipelines waiting for the trainer looked at per sweep, newest first: the listing reads back to
 * the oldest of them (100 trainings a page). Those beyond are polled on their own.
 */
const TRAININGS_PER_SWEEP = 500;

/** Photos deleted per retention round: each is one transaction and one store call. */
const RETENTION_PHOTOS_PER_ROUND = 32;

/**
 * The worker's scheduled jobs: erasures owed (a photo whose bytes storage failed to delete, and
 * so on) are carried out as they fall due, with backoff, until done; and housekeeping
 * (`sweepExpired`: webhook deliveries past their retention, abandoned staging objects), where
 * several workers sweeping at once only repeat idempotent deletes; and, when
 * `photoRetentionDays` is set (`PHOTO_RETENTION_DAYS_AFTER_TRAINING`), photo retention
 * (`erasePhotosPastRetention`), where two workers deleting one photo at once both find it deleted.
 */
export function backgroundJobs(
  deps: CoreDeps,
  options: {
    readonly everyMs: number;
    readonly housekeepingEveryMs?: number;
    /** Off (undefined) by default: photos are kept until their owner deletes them. */
    readonly photoRetentionDays?: number;
    readonly retentionEveryMs?: number;
    readonly photoChecksEveryMs?: number;
    /** TRAINING_SWEEP: one listing every `everyMs` says which trainings ended (off by default for embedders). */
    readonly trainingSweep?: boolean;
  },
): ScheduledJob[] {
  const days = options.photoRetentionDays;
  const retention: ScheduledJob[] =
    days === undefined
      ? []
      : [
          {
            name: 'retention',
            everyMs: options.retentionEveryMs ?? DEFAULT_RETENTION_INTERVAL_MS,
            run: () =>
              erasePhotosPastRetention(deps, { days, limit: RETENTION_PHOTOS_PER_ROUND }).match(
                (round) => round.deleted > 0,
                (error) => {
                  throw new Error(`retention: ${error.code} ${error.detail ?? ''}`);
                },
              ),
          },
        ];
  const sweep: ScheduledJob[] =
    options.trainingSweep === true
      ? [
          {
            // A round that advanced some waits like any other: the next listing would mostly repeat this one.
            name: 'training-sweep',
            everyMs: options.everyMs,
            run: () =>
              sweepTrainings(deps, { limit: TRAININGS_PER_SWEEP }).match(
                () => false,
                (error) => {
                  throw new Error(`training sweep: ${error.code} ${error.detail ?? ''}`);
                },
              ),
          },
        ]
      : [];
  return [
    {
      name: 'housekeeping',
      everyMs: options.housekeepingEveryMs ?? DEFAULT_HOUSEKEEPING_INTERVAL_MS,
      // A sweep reports what it could not remove in its result and is simply tried next round.
      run: () => sweepExpired(deps).map(() => false).unwrapOr(false),
    },
    {
      // Photos answered `checking` (PHOTO_CHECKS_AFTER_ANSWER): normalised, checked, stored or refused.
      name: 'photo-checks',
      everyMs: options.photoChecksEveryMs ?? DEFAULT_PHOTO_CHECKS_INTERVAL_MS,
      run: () =>
        checkDueUploads(deps, { limit: PHOTO_CHECKS_PER_ROUND, atOnce: PHOTO_CHECKS_AT_ONCE }).match(
          (round) => round.stored + round.refused + round.deferred + round.gone > 0,
          (error) => {
            throw new Error(`photo checks: ${error.code} ${error.detail ?? ''}`);
          },
        ),
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
    ...retention,
    ...sweep,
  ];
}
