import { advancePipeline, nextDueAt, type DomainError, type PipelineId, type TrainingPipeline } from '@selfie-lora/core';
import type { HeldLease } from './lease-keeper.js';
import type { WorkerContext } from './worker-context.js';

// Steps in a row for one pipeline before its lease is given back, so one pipeline cannot hog a worker.
const MAX_STEPS_PER_CLAIM = 16;

/** How a claimed pipeline is handed back: due at once, or due at a time. */
export type Outcome = { readonly kind: 'release' } | { readonly kind: 'defer'; readonly until: Date };

/**
 * Advances one claimed pipeline until it waits, ends clean, the worker stops, or the lease is
 * lost; says how to hand it back. A step in flight when the lease is lost finishes (its write is
 * revision-checked), but none starts after it: the pipeline may be another worker's now.
 */
export async function advanceClaimed(ctx: WorkerContext, id: PipelineId, lease: HeldLease): Promise<Outcome> {
  for (let step = 0; step < MAX_STEPS_PER_CLAIM && !ctx.stopping() && !lease.lost(); step += 1) {
    const outcome = await advancePipeline(ctx.deps, id).match(
      ({ pipeline, progressed }): Outcome | 'again' => (progressed ? 'again' : waiting(ctx, pipeline)),
      (error) => failed(ctx, error),
    );
    if (outcome !== 'again') return outcome;
  }
  return { kind: 'release' };
}

/** Where a pipeline that made no progress stands: the core's rule says when it is next due. */
function waiting(ctx: WorkerContext, pipeline: TrainingPipeline): Outcome {
  const now = ctx.deps.clock.now();
  const due = nextDueAt(pipeline, now, ctx.pollIntervalMs, ctx.trainingPollIntervalMs);
  return due !== null && due > now ? { kind: 'defer', until: due } : { kind: 'release' };
}

function failed(ctx: WorkerContext, error: DomainError): Outcome {
  // Another worker moved it (an expired lease) or it is gone: it will be read afresh.
  if (error.code === 'persistence.conflict' || error.code === 'training.not_found') return { kind: 'release' };
  ctx.report(error);
  return { kind: 'defer', until: ctx.later(ctx.pollIntervalMs) };
}

/** Gives the lease back as the outcome says; a failure only lets the lease expire. */
export function handBack(ctx: WorkerContext, id: PipelineId, outcome: Outcome): Promise<void> {
  const { leases, workerId } = ctx;
  return (outcome.kind === 'defer' ? leases.defer({ workerId, id, until: outcome.until }) : leases.release({ workerId, id })).match(
    () => undefined,
    // The lease then simply expires and the pipeline comes round again.
    ctx.report,
  );
}
