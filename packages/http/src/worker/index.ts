// The background worker: runs pipeline steps outside the HTTP requests, leased per pipeline.
export { startWorker, type Worker, type WorkerOptions } from './worker.js';
export { startScheduledJobs, type ScheduledJob } from './scheduled-jobs.js';
export { backgroundJobs, DEFAULT_HOUSEKEEPING_INTERVAL_MS } from './background-jobs.js';
export { workerSettings } from './worker-settings.js';
