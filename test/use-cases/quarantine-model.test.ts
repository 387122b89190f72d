import { describe, expect, it } from 'vitest';
import { ModelId, quarantineModel, releaseModel, runPipeline } from '@selfie-lora/core';
import { alice, memoryCore, pipelineAtTrainer, trainingFor } from '../support/memory-core-fixtures.js';

async function trainedModel() {
  const core = memoryCore();
  const { pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
  core.trainer.finish(trainingFor(core, pipeline.id).id, 'succeeded');
  (await runPipeline(core.deps, pipeline.id))._unsafeUnwrap();
  const [model] = core.db.snapshot().models;
  if (!model) throw new Error('the pipeline made no model');
  return { core, model };
}

describe('quarantining and releasing a model: what the operator is told', () => {
  it('logs which model of which owner changed, and why it was quarantined', async () => {
    const { core, model } = await trainedModel();
    (await quarantineModel(core.deps, { modelId: model.id, reason: 'looks like a stranger' }))._unsafeUnwrap();
    (await releaseModel(core.deps, { modelId: model.id }))._unsafeUnwrap();
    expect(core.log.events.filter((e) => e.kind.startsWith('model.'))).toEqual([
      { kind: 'model.quarantined', detail: { modelId: model.id, ownerId: alice, reason: 'looks like a stranger' } },
      { kind: 'model.released', detail: { modelId: model.id, ownerId: alice } },
    ]);
  });

  it('names the model it could not find', async () => {
    const { core } = await trainedModel();
    const unknown = ModelId.parse('no-such-model')._unsafeUnwrap();
    for (const result of [
      await quarantineModel(core.deps, { modelId: unknown, reason: 'x' }),
      await releaseModel(core.deps, { modelId: unknown }),
    ]) {
      expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'model.not_found', detail: 'model no-such-model' });
    }
  });
});
