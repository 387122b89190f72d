import { expect } from 'vitest';
import type { MemoryStoreOp } from '@selfie-lora/adapters/memory';
import { advancePipeline } from '@selfie-lora/core';
import { WorldCommand } from './world-command.js';
import { describeIndex, pick, type Model, type World } from './world.js';

/** A transient fault injected into one adapter call, for the duration of one step. */
export type Fault =
  | { readonly target: 'store'; readonly op: MemoryStoreOp; readonly times: number }
  | { readonly target: 'packager'; readonly op: 'build' | 'readBack'; readonly times: number }
  | { readonly target: 'trainer'; readonly op: 'submit' | 'get' | 'find' | 'cancel'; readonly times: number };

function inject(world: World, fault: Fault): void {
  const { store, packager, trainer } = world.core;
  if (fault.target === 'store') store.faults.failNext(fault.op, fault.times);
  else if (fault.target === 'packager') packager.faults.failNext(fault.op, fault.times);
  else trainer.faults.failNext(fault.op, fault.times);
}

function clearFaults(world: World): void {
  world.core.store.faults.clear();
  world.core.packager.faults.clear();
  world.core.trainer.faults.clear();
}

const TRANSIENT = ['storage.unavailable', 'trainer.unavailable'];

/**
 * The worker runs one step (advancePipeline) of a pipeline, maybe with faults, after some time:
 * one owner's pipeline, or (owner null) the k-th pipeline of the worker's queue of unfinished ones.
 */
export class AdvancePipeline extends WorldCommand {
  constructor(
    readonly owner: string | null,
    readonly index: number,
    readonly faults: readonly Fault[],
    readonly elapsedMs: number,
  ) {
    super();
  }

  override check(model: Readonly<Model>): boolean {
    return (this.owner === null ? model.workQueue : model.pipelines[this.owner]!).length > 0;
  }

  protected async act(model: Model, world: World): Promise<void> {
    const pipelineId = pick(this.owner === null ? model.workQueue : model.pipelines[this.owner]!, this.index)!;
    const statusBefore = world.core.db.snapshot().pipelines.find((p) => p.id === pipelineId)!.status;
    world.core.clock.advance(this.elapsedMs);
    this.faults.forEach((fault) => inject(world, fault));
    const retriesBefore = world.core.log.kinds().filter((k) => k === 'pipeline.step_retry').length;
    const submittedBefore = world.core.trainer.trainings.size;
    const result = await advancePipeline(world.core.deps, pipelineId);
    clearFaults(world);
    if (result.isErr()) {
      // Only an injected transport fault may surface (from clean-up, which the next advance retries).
      expect(this.faults.length, `${String(this)} failed with ${result.error.code} without any fault`).toBeGreaterThan(0);
      expect(TRANSIENT).toContain(result.error.code);
    }
    const after = world.core.db.snapshot().pipelines.find((p) => p.id === pipelineId)!;
    if (statusBefore !== 'failed' && after.status === 'failed' && /^(verify|package|trainer)\./.test(after.failure.code)) world.coverage.verificationFailures += 1;
    world.coverage.submissions += world.core.trainer.trainings.size - submittedBefore;
    world.coverage.retries += world.core.log.kinds().filter((k) => k === 'pipeline.step_retry').length - retriesBefore;
  }

  toString(): string {
    const faults = this.faults.map((f) => `${f.target}.${f.op} x${f.times}`).join(', ');
    const extras = [this.elapsedMs > 0 ? `+${this.elapsedMs}ms` : '', faults ? `faults: ${faults}` : ''].filter(Boolean).join('; ');
    const which = this.owner === null ? `queued work ${describeIndex(this.index)}` : `${this.owner}'s pipeline ${describeIndex(this.index)}`;
    return `worker.advance(${which})${extras ? ` [${extras}]` : ''}`;
  }
}
