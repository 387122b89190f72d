import { PipelineId, runPipeline, type TrainerReport } from '@selfie-lora/core';
import type { MemoryCore } from '@selfie-lora/adapters/memory';

/** Runs the background work of a training until it waits for the trainer (or ends). */
export async function runToWaiting(core: MemoryCore, trainingId: string): Promise<string> {
  const pipeline = (await runPipeline(core.deps, PipelineId.parse(trainingId)._unsafeUnwrap()))._unsafeUnwrap();
  return pipeline.status;
}

/** Ends the trainer's training for this pipeline, as the trainer would; returns its report. */
export function finishTraining(core: MemoryCore, trainingId: string, outcome: 'succeeded' | 'failed' | 'canceled'): TrainerReport {
  const training = [...core.trainer.trainings.values()].find((t) => t.pipelineId === trainingId);
  if (!training) throw new Error(`the trainer has no training for ${trainingId}`);
  return core.trainer.finish(training.id, outcome);
}
