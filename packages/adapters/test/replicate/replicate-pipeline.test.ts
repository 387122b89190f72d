import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  advancePipeline,
  applyTrainerReport,
  OwnerId,
  registerUpload,
  runPipeline,
  startTraining,
  type CoreDeps,
  type FailedOrCanceledPipeline,
  type ObjectStore,
  type PipelineId,
} from '@selfie-lora/core';
import { createMemoryCore, type MemoryCore } from '../../src/index.js';
import { verifyReplicateWebhook } from '../../src/replicate/index.js';
import { startHarness, type Harness } from './support/harness.js';
import { photo, sha256Of, streamOf } from '@selfie-lora/testkit/photos';
import { startWebhookReceiver } from '@selfie-lora/testkit/servers';

// The core over the real trainer adapter and the simulator: the pipeline's package is served over
// HTTP from the in-memory store, so the simulator really downloads the photos the core packaged.

const alice = OwnerId.parse('alice')._unsafeUnwrap();
type Json = Record<string, unknown>;

let core: MemoryCore;
let h: Harness;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let deps: CoreDeps;

beforeEach(async () => {
  core = createMemoryCore({ config: { minPhotos: 3 } });
  h = await startHarness({ lookup: (key) => core.store.getBytes(key) });
  receiver = await startWebhookReceiver();
  const objects: ObjectStore = {
    put: (key, body, options) => core.store.put(key, body, options),
    inspect: (key) => core.store.inspect(key),
    read: (key) => core.store.read(key),
    delete: (key) => core.store.delete(key),
    list: (prefix) => core.store.list(prefix),
    listPage: (prefix, startAfter, limit) => core.store.listPage(prefix, startAfter, limit),
    signedGetUrl: (key, ttl) => core.store.signedGetUrl(key, ttl).map(() => h.files.serve(key)),
    signedPutUrl: (key, ttl, options) => core.store.signedPutUrl(key, ttl, options),
  };
  deps = { ...core.deps, objects, trainer: h.trainer({ webhookUrl: receiver.url }) };
});
afterEach(async () => {
  await h.close();
  await receiver.close();
});

async function pipelineInTraining(): Promise<{ id: PipelineId; shas: string[]; trainingId: string }> {
  const shas: string[] = [];
  for (const seed of [21, 22, 23]) {
    const bytes = await photo(seed);
    const registered = (await registerUpload(deps, { ownerId: alice, body: streamOf(bytes) }))._unsafeUnwrap();
    shas.push(registered.upload.sha256);
  }
  const started = (await startTraining(deps, { ownerId: alice }))._unsafeUnwrap();
  const waiting = (await runPipeline(deps, started.pipeline.id))._unsafeUnwrap();
  expect(waiting.status).toBe('training');
  const trainingId = 'trainerTrainingId' in waiting ? waiting.trainerTrainingId : null;
  return { id: started.pipeline.id, shas, trainingId: trainingId! };
}

const isTrainingGet = (r: { method: string; path: string }) => r.method === 'GET' && /^\/v1\/trainings\/[^/]+$/.test(r.path);

describe('the core over ReplicateTrainer and the simulator', () => {
  it('trains on exactly the owner photos and records the version the trainer derived from them', async () => {
    const { id, shas, trainingId } = await pipelineInTraining();
    const record = h.sim.control.training(trainingId)!;
    expect([...record.imageHashes].sort()).toEqual([...shas].sort());
    expect(new URL(record.inputUrl).pathname).toContain(`/${id}/training.zip`);

    await h.sim.control.complete(trainingId);
    const done = (await runPipeline(deps, id))._unsafeUnwrap();
    expect(done.status).toBe('succeeded');
    expect('modelVersion' in done && done.modelVersion).toBe(`${record.training.destination}:${sha256Of([...shas].sort().join('\n'))}`);
  });

  it('the signed completed webhook, verified, completes the pipeline (the fast path)', async () => {
    const { id, trainingId } = await pipelineInTraining();
    await h.sim.control.complete(trainingId);
    const [delivery] = receiver.deliveries;
    const sentAt = new Date(Number(delivery!.headers['webhook-timestamp']) * 1000);
    const { report } = verifyReplicateWebhook({ headers: delivery!.headers, rawBody: delivery!.rawBody, secret: h.secret, now: sentAt })._unsafeUnwrap();
    const outcome = (await applyTrainerReport(deps, report))._unsafeUnwrap();
    expect(outcome).toMatchObject({ kind: 'applied', pipeline: { id, status: 'succeeded' } });
  });

  it('a poll answer naming another destination ends the pipeline with trainer.destination_mismatch', async () => {
    const { id, trainingId } = await pipelineInTraining();
    await h.sim.control.complete(trainingId);
    h.sim.control.tamper({
      match: isTrainingGet,
      rewrite: (body) => ({ ...(body as Json), destination: 'mallory/her-model', output: { version: `mallory/her-model:${'c'.repeat(64)}` } }),
    });
    const ended = (await runPipeline(deps, id))._unsafeUnwrap() as FailedOrCanceledPipeline;
    expect(ended.status).toBe('failed');
    expect(ended.failure.code).toBe('trainer.destination_mismatch');
  });

  it('a poll answer about another training ends the pipeline with trainer.invalid_response', async () => {
    const { id, trainingId } = await pipelineInTraining();
    await h.sim.control.complete(trainingId);
    h.sim.control.tamper({ match: isTrainingGet, rewrite: (body) => ({ ...(body as Json), id: 'yyyyyyyyyyyyyyyyyyyyyyyyyy' }) });
    const ended = (await runPipeline(deps, id))._unsafeUnwrap() as FailedOrCanceledPipeline;
    expect(ended.failure.code).toBe('trainer.invalid_response');
  });

  it('a crash after the trainer accepted the training is reconciled: the training is adopted, not duplicated', async () => {
    for (const seed of [31, 32, 33]) {
      (await registerUpload(deps, { ownerId: alice, body: streamOf(await photo(seed)) }))._unsafeUnwrap();
    }
    const { pipeline } = (await startTraining(deps, { ownerId: alice }))._unsafeUnwrap();
    let current = pipeline;
    while (current.status !== 'submitting') current = (await advancePipeline(deps, pipeline.id))._unsafeUnwrap().pipeline;
    // The submission reached the trainer, then the worker died before recording it.
    const key = 'package' in current && current.package ? current.package.key : '';
    const url = (await deps.objects.signedGetUrl(key, 600))._unsafeUnwrap();
    const accepted = (await deps.trainer.submit({ pipelineId: pipeline.id, destination: pipeline.destination, inputUrl: url, triggerWord: pipeline.triggerWord }))._unsafeUnwrap();

    const resumed = (await advancePipeline(deps, pipeline.id))._unsafeUnwrap().pipeline;
    expect(resumed.status).toBe('training');
    expect('trainerTrainingId' in resumed && resumed.trainerTrainingId).toBe(accepted.trainerTrainingId);
    expect(h.sim.control.trainings()).toHaveLength(1);
  });
});
