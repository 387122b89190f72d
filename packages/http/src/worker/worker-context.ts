import type { CoreDeps, PipelineLeases } from '@selfie-lora/core';

/** What the parts of one worker share: its ports, its identity, its timings and its error hook. */
export interface WorkerContext {
  readonly deps: CoreDeps;
  readonly leases: PipelineLeases;
  readonly workerId: string;
  readonly pollIntervalMs: number;
  /** How long a pipeline waiting for the trainer rests before it is polled on its own. */
  readonly trainingPollIntervalMs: number;
  readonly leaseMs: number;
  readonly maxLeaseHoldMs: number;
  /** Never throws (a failing hook is swallowed). */
  readonly report: (error: unknown) => void;
  /** The worker's clock, `ms` from now. */
  readonly later: (ms: number) => Date;
  /** True once `stop` was called: no step starts after it. */
  readonly stopping: () => boolean;
}
