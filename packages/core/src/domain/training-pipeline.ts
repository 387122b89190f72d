// The TrainingPipeline aggregate: one concept a file under ./pipeline/. This is its public face;
// the step-log helpers (pipeline/step-records.ts) stay internal to the aggregate.
export * from './pipeline/status.js';
export * from './pipeline/states.js';
export * from './pipeline/transitions.js';
export * from './pipeline/trainer-report.js';
export * from './pipeline/ending.js';
export * from './pipeline/retry-policy.js';
export * from './pipeline/due.js';
export * from './pipeline/scrubbing.js';
