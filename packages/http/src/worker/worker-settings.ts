import type { Env } from '@selfie-lora/adapters';
import type { CoreDeps } from '@selfie-lora/core';
import { backgroundJobs } from './background-jobs.js';
import type { WorkerOptions } from './worker.js';

/** The worker's timings and jobs as the environment sets them: one reading for `npm start` and `npm run worker`. */
export function workerSettings(deps: CoreDeps, env: Env): Pick<WorkerOptions, 'pollIntervalMs' | 'trainingPollIntervalMs' | 'jobs'> {
  const sweep = env.TRAINING_SWEEP === 'on';
  return {
    pollIntervalMs: env.TRAINING_POLL_INTERVAL_MS,
    trainingPollIntervalMs: sweep ? env.TRAINING_OWN_POLL_INTERVAL_MS : env.TRAINING_POLL_INTERVAL_MS,
    jobs: backgroundJobs(deps, {
      everyMs: env.TRAINING_POLL_INTERVAL_MS,
      photoRetentionDays: env.PHOTO_RETENTION_DAYS_AFTER_TRAINING,
      trainingSweep: sweep,
    }),
  };
}
