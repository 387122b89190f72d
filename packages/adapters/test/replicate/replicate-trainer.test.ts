import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { trusted, type PipelineId } from '@selfie-lora/core';
import { API_TOKEN, destinationA, startHarness, TRAINER_REF, type Harness } from './support/harness.js';
import { sha256Of } from '@selfie-lora/testkit/photos';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const expectedVersion = (photos: readonly Uint8Array[], destination = 'selfie-lora/selfie-lora-aaaa') =>
  `${destination}:${sha256Of(photos.map((p) => sha256Of(p)).sort().join('\n'))}`;

describe('ReplicateTrainer against the simulator', () => {
  it('submits: creates the private destination once, then trainings with our input, trigger word and webhook', async () => {
    const trainer = h.trainer({ webhookUrl: 'http://127.0.0.1:9/v1/webhooks/replicate', hardware: 'gpu-l40s' });
    const first = await h.submission('pipe-1', [1, 2, 3]);
    const report = (await trainer.submit(first))._unsafeUnwrap();
    expect(report).toMatchObject({ status: 'starting', destination: destinationA, outputVersion: null, error: null });
    expect(report.trainerTrainingId).toMatch(/^[a-z2-7]{26}$/);

    const second = await h.submission('pipe-2', [4, 5, 6]);
    (await trainer.submit(second))._unsafeUnwrap();
    const creates = h.sim.control.requests.filter((r) => r.method === 'POST' && r.path === '/v1/models');
    expect(creates).toEqual([{ method: 'POST', path: '/v1/models', status: 201 }]);
    const model = await fetch(`${h.sim.baseUrl}/models/selfie-lora/selfie-lora-aaaa`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(await model.json()).toMatchObject({ owner: 'selfie-lora', name: 'selfie-lora-aaaa', visibility: 'private' });

    const record = h.sim.control.training(report.trainerTrainingId)!;
    expect(record.training).toMatchObject({
      model: 'ostris/flux-dev-lora-trainer',
      version: TRAINER_REF.split(':')[1],
      destination: 'selfie-lora/selfie-lora-aaaa',
      input: { input_images: first.inputUrl, trigger_word: 'TOK' },
      webhook: 'http://127.0.0.1:9/v1/webhooks/replicate',
      webhook_events_filter: ['completed'],
    });
  });

  it('the simulator proves which photos the training received, and the version follows from them', async () => {
    const trainer = h.trainer();
    const submission = await h.submission('pipe-1', [11, 12, 13]);
    const { trainerTrainingId } = (await trainer.submit(submission))._unsafeUnwrap();
    expect(h.files.downloads).toEqual(['/trainings/ownerref0/pipe-1/training.zip']);
    const received = h.sim.control.training(trainerTrainingId)!.imageHashes;
    expect([...received].sort()).toEqual(submission.photos.map((p) => sha256Of(p)).sort());

    await h.sim.control.complete(trainerTrainingId);
    const done = (await trainer.get(trainerTrainingId))._unsafeUnwrap();
    expect(done).toEqual({
      trainerTrainingId,
      destination: destinationA,
      status: 'succeeded',
      outputVersion: expectedVersion(submission.photos),
      error: null,
      // The pipeline its input (the package key) names, for adopting a training no pipeline recorded.
      pipelineId: 'pipe-1',
    });
    const versions = (await trainer.listVersions(destinationA))._unsafeUnwrap();
    expect(versions.map((v) => v.version)).toEqual([expectedVersion(submission.photos)]);
  });

  it('gets a running training, reports a failed one with its error, cancels one', async () => {
    const trainer = h.trainer();
    const a = (await trainer.submit(await h.submission('pipe-a', [1])))._unsafeUnwrap().trainerTrainingId;
    const b = (await trainer.submit(await h.submission('pipe-b', [2])))._unsafeUnwrap().trainerTrainingId;
    expect((await trainer.get(a))._unsafeUnwrap().status).toBe('processing');

    await h.sim.control.fail(a, 'CUDA out of memory');
    expect((await trainer.get(a))._unsafeUnwrap()).toMatchObject({ status: 'failed', error: 'CUDA out of memory', outputVersion: null });

    expect((await trainer.cancel(b)).isOk()).toBe(true);
    expect((await trainer.get(b))._unsafeUnwrap().status).toBe('canceled');
    // Canceling what already ended is harmless.
    expect((await trainer.cancel(a)).isOk()).toBe(true);
    expect((await trainer.get(a))._unsafeUnwrap().status).toBe('failed');
  });

  it('findSubmission adopts the training a pipeline already has, across pages, and nothing else', async () => {
    h.sim.control.setKnobs({ pageSize: 2 });
    const trainer = h.trainer();
    const mine = (await trainer.submit(await h.submission('3f7c-pipe-mine', [1, 2])))._unsafeUnwrap();
    for (const [i, id] of ['pipe-x', 'pipe-y', 'pipe-z'].entries()) (await trainer.submit(await h.submission(id, [10 + i])))._unsafeUnwrap();

    const found = (await trainer.findSubmission(trusted<PipelineId>('3f7c-pipe-mine')))._unsafeUnwrap();
    expect(found).toEqual(mine);
    expect((await trainer.findSubmission(trusted<PipelineId>('3f7c')))._unsafeUnwrap()).toBeNull();
    expect((await trainer.findSubmission(trusted<PipelineId>('pipe-unknown')))._unsafeUnwrap()).toBeNull();
    const pages = h.sim.control.requests.filter((r) => r.method === 'GET' && r.path === '/v1/trainings');
    expect(pages.length).toBeGreaterThanOrEqual(2);
  });

  it('findSubmission stops at its page bound', async () => {
    h.sim.control.setKnobs({ pageSize: 1 });
    const trainer = h.trainer({ maxListPages: 2 });
    (await trainer.submit(await h.submission('pipe-old', [1])))._unsafeUnwrap();
    (await trainer.submit(await h.submission('pipe-new-1', [2])))._unsafeUnwrap();
    (await trainer.submit(await h.submission('pipe-new-2', [3])))._unsafeUnwrap();
    expect((await trainer.findSubmission(trusted<PipelineId>('pipe-old')))._unsafeUnwrap()).toBeNull();
    expect((await h.trainer({ maxListPages: 3 }).findSubmission(trusted<PipelineId>('pipe-old')))._unsafeUnwrap()).not.toBeNull();
  });

  it('lists every version at a destination, including ones no training of ours made, and none for a missing model', async () => {
    const trainer = h.trainer();
    expect((await trainer.listVersions({ owner: 'selfie-lora', name: 'nobody' }))._unsafeUnwrap()).toEqual([]);
    const foreign = h.sim.control.plantVersion('selfie-lora/selfie-lora-aaaa', 'a'.repeat(64));
    const versions = (await trainer.listVersions(destinationA))._unsafeUnwrap();
    expect(versions).toEqual([{ version: foreign, createdAt: expect.any(Date) as Date }]);
  });

  it('sends the configured token', async () => {
    const trainer = h.trainer({ apiToken: `${API_TOKEN}-wrong` });
    const result = await trainer.get('abc');
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.rejected' });
    expect(h.sim.control.requests.at(-1)).toMatchObject({ status: 401 });
  });

  it('refuses bad configuration at construction, naming the setting', () => {
    expect(() => h.trainer({ trainer: 'ostris/flux-dev-lora-trainer' })).toThrow(/trainer must be "owner\/name:version"/);
    expect(() => h.trainer({ webhookUrl: 'not a url' })).toThrow(/webhookUrl must be an absolute URL/);
    expect(() => h.trainer({ apiToken: '' })).toThrow(/apiToken/);
    expect(() => h.trainer({ maxListPages: 0 })).toThrow(/maxListPages must be a positive integer/);
    expect(() => h.trainer({ maxAuditPages: 1.5 })).toThrow(/maxAuditPages must be a positive integer/);
  });
});
