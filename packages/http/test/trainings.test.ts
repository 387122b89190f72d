import { describe, expect, it } from 'vitest';
import { versionFor } from '@selfie-lora/adapters/memory';
import { ownerRef, OwnerId } from '@selfie-lora/core';
import type { ModelJson } from './support/answer-shapes.js';
import { finishTraining, runToWaiting } from './support/drive.js';
import { expectProblem, harness, startTraining, storedState, uploadPhotos, type Harness } from './support/harness.js';

interface StepJson {
  name: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  evidence: Record<string, unknown> | null;
}
interface TrainingJson {
  id: string;
  status: string;
  steps: StepJson[];
  failure: { step: string; code: string; message: string } | null;
  model: ModelJson | null;
  createdAt: string;
  updatedAt: string;
}

const training = (response: { json: () => unknown }) => (response.json() as { training: TrainingJson }).training;

async function getTraining(h: Harness, id: string, auth = h.alice) {
  return h.app.inject({ method: 'GET', url: `/v1/trainings/${id}`, headers: auth });
}

/** Every key anywhere in a JSON value. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [key, ...keysOf(child)]);
}

describe('POST /v1/trainings', () => {
  it('answers 202 with a queued training of exactly the contract shape', async () => {
    const h = await harness();
    await uploadPhotos(h, h.alice, [1, 2, 3]);
    const response = await startTraining(h, h.alice, { payload: { triggerWord: 'ALICE' } });
    expect(response.statusCode, response.body).toBe(202);
    const started = training(response);
    expect(Object.keys(started).sort()).toEqual(['createdAt', 'failure', 'id', 'model', 'status', 'steps', 'updatedAt']);
    expect(started).toMatchObject({ status: 'queued', steps: [], failure: null, model: null });
    expect(response.headers.location).toBe(`/v1/trainings/${started.id}`);
    expect(h.core.db.snapshot().pipelines).toMatchObject([{ id: started.id, ownerId: 'alice', triggerWord: 'ALICE' }]);
  });

  it('accepts a request without a body', async () => {
    const h = await harness();
    await uploadPhotos(h, h.alice, [1, 2, 3]);
    const response = await h.app.inject({ method: 'POST', url: '/v1/trainings', headers: h.alice });
    expect(response.statusCode, response.body).toBe(202);
  });

  it('refuses to start with too few photos: 422 training.not_enough_photos', async () => {
    const h = await harness();
    await uploadPhotos(h, h.alice, [1, 2]);
    const before = storedState(h.core);
    expectProblem(await startTraining(h, h.alice), 422, 'training.not_enough_photos');
    expect(storedState(h.core)).toEqual(before);
  });

  it('refuses a second training while one is active: 409 training.already_active', async () => {
    const h = await harness();
    await uploadPhotos(h, h.alice, [1, 2, 3]);
    expect((await startTraining(h, h.alice)).statusCode).toBe(202);
    const before = storedState(h.core);
    expectProblem(await startTraining(h, h.alice), 409, 'training.already_active');
    expectProblem(await startTraining(h, h.alice, { headers: { 'idempotency-key': 'another-key' } }), 409, 'training.already_active');
    expect(storedState(h.core)).toEqual(before);
  });

  it('replays an Idempotency-Key: 202 with the same training, nothing new created', async () => {
    const h = await harness();
    await uploadPhotos(h, h.alice, [1, 2, 3]);
    const first = await startTraining(h, h.alice, { headers: { 'idempotency-key': 'k-123' } });
    expect(first.statusCode).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const before = storedState(h.core);
    const again = await startTraining(h, h.alice, { headers: { 'idempotency-key': 'k-123' } });
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(training(again)).toEqual(training(first));
    expect(storedState(h.core)).toEqual(before);
  });

  it('trains on the photos named in uploadIds; another owner\'s photo or too many is 422, nothing created', async () => {
    const h = await harness({ config: { maxTrainingPhotos: 3 } });
    const mine = await uploadPhotos(h, h.alice, [1, 2, 3, 4]);
    const [theirs] = await uploadPhotos(h, h.bob, [5]);
    const before = storedState(h.core);
    expectProblem(await startTraining(h, h.alice), 422, 'training.too_many_photos');
    expectProblem(await startTraining(h, h.alice, { payload: { uploadIds: [mine[0], mine[1], theirs] } }), 422, 'training.photo_not_usable');
    expectProblem(await startTraining(h, h.alice, { payload: { uploadIds: 'all' } }), 400, 'request.invalid');
    expect(storedState(h.core)).toEqual(before);
    const started = await startTraining(h, h.alice, { payload: { uploadIds: [mine[3], mine[1], mine[2]] } });
    expect(started.statusCode, started.body).toBe(202);
    const pipeline = h.core.db.snapshot().pipelines[0]!;
    expect(pipeline.trainingSet.items.map((item) => item.uploadId)).toEqual([mine[3], mine[1], mine[2]]);
  });

  it('refuses invalid input', async () => {
    const h = await harness();
    await uploadPhotos(h, h.alice, [1, 2, 3]);
    expectProblem(await startTraining(h, h.alice, { payload: { triggerWord: 'two words!' } }), 422, 'training.invalid_trigger_word');
    expectProblem(await startTraining(h, h.alice, { payload: { triggerWord: 42 } }), 400, 'request.invalid');
    expectProblem(await startTraining(h, h.alice, { payload: { trigger: 'typo' } }), 400, 'request.invalid');
    expectProblem(await startTraining(h, h.alice, { headers: { 'idempotency-key': 'has spaces in it' } }), 400, 'training.invalid_idempotency_key');
    const notJson = await h.app.inject({
      method: 'POST',
      url: '/v1/trainings',
      headers: { ...h.alice, 'content-type': 'application/json' },
      payload: '{"triggerWord": ',
    });
    expectProblem(notJson, 400, 'request.invalid');
    const huge = await startTraining(h, h.alice, { payload: { triggerWord: 'x'.repeat(70 * 1024) } });
    expectProblem(huge, 413, 'request.too_large');
    const xml = await h.app.inject({ method: 'POST', url: '/v1/trainings', headers: { ...h.alice, 'content-type': 'application/xml' }, payload: '<a/>' });
    expectProblem(xml, 415, 'request.unsupported_media_type');
    expect(h.core.db.snapshot().pipelines).toEqual([]);
  });
});

describe('GET /v1/trainings/:id and the life of a training', () => {
  it('shows each step with its evidence, then the model with its provenance', async () => {
    const h = await harness();
    const uploadIds = await uploadPhotos(h, h.alice, [1, 2, 3]);
    const shas = h.core.db.snapshot().uploads.map((u) => ({ uploadId: u.id, sha256: u.sha256 }));
    const started = training(await startTraining(h, h.alice));
    expect(await runToWaiting(h.core, started.id)).toBe('training');

    const waiting = training(await getTraining(h, started.id));
    expect(waiting.status).toBe('training');
    expect(waiting.steps.map((s) => [s.name, s.status])).toEqual([
      ['verify_uploads', 'succeeded'],
      ['package', 'succeeded'],
      ['verify_package', 'succeeded'],
      ['submit', 'succeeded'],
      ['train', 'running'],
    ]);
    const [verify, pack, verifyPack, submit, train] = waiting.steps;
    expect(verify!.evidence).toEqual({ uploads: shas.map((s) => ({ ...s, byteSize: expect.any(Number) as number, contentType: 'image/jpeg' })) });
    expect(pack!.evidence).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as string, byteSize: expect.any(Number) as number, entries: 3 });
    expect(verifyPack!.evidence).toMatchObject({ entries: uploadIds.map((id) => ({ name: `${id}.jpg` })) });
    const destination = `selfie-lora/selfie-lora-${ownerRef(OwnerId.parse('alice')._unsafeUnwrap())}`;
    expect(submit!.evidence).toEqual({ trainerTrainingId: expect.any(String) as string, destination });
    expect(train).toMatchObject({ finishedAt: null, evidence: null });
    expect(waiting.model).toBeNull();

    const report = finishTraining(h.core, started.id, 'succeeded');
    expect(await runToWaiting(h.core, started.id)).toBe('succeeded');
    const done = training(await getTraining(h, started.id));
    expect(done.status).toBe('succeeded');
    expect(done.failure).toBeNull();
    expect(done.steps.at(-1)).toMatchObject({ name: 'train', status: 'succeeded', evidence: { version: report.outputVersion } });
    const trainerRun = [...h.core.trainer.trainings.values()][0]!;
    expect(done.model).toEqual({
      id: expect.any(String) as string,
      trainingId: started.id,
      destination,
      version: versionFor(trainerRun.destination, trainerRun.receivedImages),
      status: 'active',
      trainingSet: shas,
    });

    const models = await h.app.inject({ method: 'GET', url: '/v1/models', headers: h.alice });
    expect(models.statusCode).toBe(200);
    expect(models.json()).toEqual({ models: [done.model] });
    const list = await h.app.inject({ method: 'GET', url: '/v1/trainings', headers: h.alice });
    expect(list.json()).toEqual({ trainings: [done] });

    // Nothing internal leaks: no revisions, owner ids, storage keys or idempotency keys.
    for (const body of [JSON.stringify(done), models.body, list.body]) {
      const keys = keysOf(JSON.parse(body));
      for (const internal of ['revision', 'ownerId', 'key', 'idempotencyKey', 'retry', 'trainingSetItems', 'packageDeletedAt']) {
        expect(keys).not.toContain(internal);
      }
      expect(body).not.toContain('trainings/');
      expect(body).not.toContain('uploads/');
      expect(body).not.toContain('"alice"');
    }
  });

  it('reports a trainer failure with a user-facing message', async () => {
    const h = await harness();
    await uploadPhotos(h, h.alice, [1, 2, 3]);
    const started = training(await startTraining(h, h.alice));
    await runToWaiting(h.core, started.id);
    finishTraining(h.core, started.id, 'failed');
    expect(await runToWaiting(h.core, started.id)).toBe('failed');
    const failed = training(await getTraining(h, started.id));
    expect(failed.failure).toEqual({ step: 'train', code: 'trainer.training_failed', message: expect.stringMatching(/restart/) as string });
    expect(failed.model).toBeNull();
  });

  it('answers 404 training.not_found for an unknown id', async () => {
    const h = await harness();
    expectProblem(await getTraining(h, 'id-999'), 404, 'training.not_found');
    expectProblem(await getTraining(h, '%20'), 404, 'training.not_found');
  });
});

describe('cancel and restart', () => {
  it('cancels an active training (200), refuses to cancel it twice (409), restarts it as a new training (202)', async () => {
    const h = await harness();
    await uploadPhotos(h, h.alice, [1, 2, 3]);
    const started = training(await startTraining(h, h.alice));
    const active = await h.app.inject({ method: 'POST', url: `/v1/trainings/${started.id}/restart`, headers: h.alice });
    expectProblem(active, 409, 'training.not_restartable');

    const canceled = await h.app.inject({ method: 'POST', url: `/v1/trainings/${started.id}/cancel`, headers: h.alice });
    expect(canceled.statusCode, canceled.body).toBe(200);
    expect(training(canceled)).toMatchObject({ id: started.id, status: 'canceled', failure: { code: 'training.canceled_by_owner' } });
    const twice = await h.app.inject({ method: 'POST', url: `/v1/trainings/${started.id}/cancel`, headers: h.alice });
    expectProblem(twice, 409, 'training.already_finished');

    const restarted = await h.app.inject({ method: 'POST', url: `/v1/trainings/${started.id}/restart`, headers: h.alice });
    expect(restarted.statusCode, restarted.body).toBe(202);
    const fresh = training(restarted);
    expect(fresh.id).not.toBe(started.id);
    expect(fresh).toMatchObject({ status: 'queued', steps: [], failure: null });
    expect(restarted.headers.location).toBe(`/v1/trainings/${fresh.id}`);
    const list = (await h.app.inject({ method: 'GET', url: '/v1/trainings', headers: h.alice })).json<{ trainings: TrainingJson[] }>();
    expect(list.trainings.map((t) => t.id).sort()).toEqual([started.id, fresh.id].sort());
  });
});
