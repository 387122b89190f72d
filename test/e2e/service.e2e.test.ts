import { ResultAsync } from 'neverthrow';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photo } from '@selfie-lora/testkit/photos';
import { Client, sha256, trainerIdOf, type TrainingJson } from './support/client.js';
import { waitFor } from './support/poll.js';
import type { Worker } from '@selfie-lora/http';
import { MIN_PHOTOS, WEBHOOK_SECRET, startE2eService, type E2eService } from './support/service.js';
import { trainerLike } from '../support/trainer-like.js';

// The real service over real HTTP: Fastify shell + worker + Postgres + s3rver + the Replicate
// simulator, whose record holds the SHA-256 of every image the trainer really downloaded.

let service: E2eService;
let mainWorker: Worker;
let seed = 1000;
const nextPhoto = () => photo((seed += 7));

beforeAll(async () => {
  service = await startE2eService();
  mainWorker = service.startWorker({ id: 'e2e-main' });
}, 30_000);

afterAll(async () => {
  await service?.close();
}, 30_000);

const client = (owner: string) => new Client(service.url, owner);

/** Uploads `count` fresh real photos for `owner`; returns their SHA-256s. */
async function uploadPhotos(owner: Client, count: number): Promise<string[]> {
  const hashes: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const bytes = await nextPhoto();
    const answer = await owner.upload(bytes);
    expect(answer.status).toBe(201);
    // Stored normalised: the trainer gets the stored bytes (sha256), dedup knows the bytes sent.
    expect(answer.body.upload.sourceSha256).toBe(sha256(bytes));
    hashes.push(answer.body.upload.sha256);
  }
  return hashes;
}

async function started(owner: Client): Promise<TrainingJson> {
  const answer = await owner.startTraining();
  expect(answer.status).toBe(202);
  return answer.body.training;
}

/** Waits until the worker submitted the training to the trainer; the trainer's id. */
const submitted = (owner: Client, id: string) =>
  waitFor(`training ${id} submitted`, async () => trainerIdOf(await owner.training(id)));

const settlesAs = (owner: Client, id: string, status: string) =>
  waitFor(`training ${id} ${status}`, async () => {
    const training = await owner.training(id);
    if (['succeeded', 'failed', 'canceled'].includes(training.status) && training.status !== status) {
      throw new Error(`training ${id} ended ${training.status}: ${JSON.stringify(training.failure)}`);
    }
    return training.status === status ? training : undefined;
  });

const sorted = (values: readonly string[]) => [...values].sort();

function expectProblem(answer: { status: number; contentType: string; body: Record<string, unknown> }, status: number, code: string) {
  expect({ status: answer.status, code: answer.body['code'] }).toEqual({ status, code });
  expect(answer.contentType).toContain('application/problem+json');
}

/** Uploads, trains and lets the trainer finish (its webhook reaches the app): the succeeded training. */
async function trainedModel(owner: Client): Promise<{ training: TrainingJson; trainerId: string }> {
  await uploadPhotos(owner, MIN_PHOTOS);
  const { id } = await started(owner);
  const trainerId = await submitted(owner, id);
  await service.simulator.control.complete(trainerId);
  return { training: await settlesAs(owner, id, 'succeeded'), trainerId };
}

describe('end to end over real HTTP, Postgres, s3rver and the Replicate simulator', () => {
  it('three owners training at once: each model is made of exactly its owner photos, with the version the trainer returned', async () => {
    const owners = ['alice', 'bob', 'carol'].map(client);
    const uploaded = await Promise.all(owners.map((owner, i) => uploadPhotos(owner, MIN_PHOTOS + i)));
    const trainings = await Promise.all(owners.map(started));
    const trainerIds = await Promise.all(owners.map((owner, i) => submitted(owner, trainings[i]!.id)));
    await Promise.all(trainerIds.map((id) => service.simulator.control.complete(id)));

    for (const [i, owner] of owners.entries()) {
      const training = await settlesAs(owner, trainings[i]!.id, 'succeeded');
      const record = service.simulator.control.training(trainerIds[i]!);
      expect(record).not.toBeNull();
      // What the trainer really received for this owner's training: exactly this owner's photos.
      expect(sorted(record!.imageHashes)).toEqual(sorted(uploaded[i]!));
      const model = training.model!;
      expect(sorted(model.trainingSet.map((item) => item.sha256))).toEqual(sorted(uploaded[i]!));
      expect(model.version).toBe(record!.training.output?.version);
      expect(model.destination).toBe(record!.destination);
      // The signed webhook reached the app over real HTTP and was accepted.
      expect(record!.webhookDeliveries.some((d) => d.status === 200)).toBe(true);
      expect(await owner.models()).toEqual([model]);
    }
    // Each owner's training went to the trainer once, and no two owners share a destination.
    const records = service.simulator.control.trainings().filter((r) => trainerIds.includes(r.id));
    expect(records).toHaveLength(3);
    expect(new Set(records.map((r) => r.destination)).size).toBe(3);
  }, 45_000);

  it("another owner's uploads and trainings answer 404 problem+json and stay unchanged", async () => {
    const owner = client('dave');
    const stranger = client('mallory');
    const [hash] = await uploadPhotos(owner, 1);
    const upload = (await owner.uploads()).find((u) => u.sha256 === hash)!;
    await uploadPhotos(owner, MIN_PHOTOS - 1);
    const training = await started(owner);

    expect(await stranger.uploads()).toEqual([]);
    expectProblem(await stranger.request('DELETE', `/v1/uploads/${upload.id}`), 404, 'upload.not_found');
    expectProblem(await stranger.request('POST', `/v1/uploads/${upload.id}/complete`), 404, 'upload.not_found');
    expectProblem(await stranger.request('GET', `/v1/trainings/${training.id}`), 404, 'training.not_found');
    expectProblem(await stranger.request('POST', `/v1/trainings/${training.id}/cancel`), 404, 'training.not_found');
    expectProblem(await stranger.request('POST', `/v1/trainings/${training.id}/restart`), 404, 'training.not_found');
    expect((await stranger.request<{ trainings: unknown[] }>('GET', '/v1/trainings')).body.trainings).toEqual([]);

    // Nothing changed for the owner: the upload is still there, the training was not canceled.
    expect((await owner.uploads()).find((u) => u.id === upload.id)?.status).toBe(upload.status);
    expect((await owner.training(training.id)).status).not.toBe('canceled');
    expect((await owner.request('POST', `/v1/trainings/${training.id}/cancel`)).status).toBe(200);
  }, 30_000);

  it('bad uploads are refused with their codes and nothing is stored', async () => {
    const owner = client('erin');
    const good = await nextPhoto();
    const oversized = new Uint8Array(20 * 1024 * 1024 + 1024); // past the default 20 MiB limit
    oversized.set(good);
    const cases: [string, Uint8Array, number, string][] = [
      ['wrong magic bytes', new TextEncoder().encode('GIF89a but really just text, not a photo at all'), 415, 'upload.unsupported_type'],
      ['truncated JPEG', good.subarray(0, Math.floor(good.byteLength / 2)), 422, 'upload.corrupt'],
      ['empty file', new Uint8Array(0), 422, 'upload.corrupt'],
      ['oversized', oversized, 413, 'upload.too_large'],
    ];
    for (const [what, bytes, status, code] of cases) {
      const answer = await owner.upload(bytes);
      expect({ what, status: answer.status, code: answer.body.code }).toEqual({ what, status, code });
      expect(answer.contentType).toContain('application/problem+json');
    }
    expect(await owner.uploads()).toEqual([]);
  }, 30_000);

  it('fewer than the minimum photos is 422; a second training while one is active is 409', async () => {
    const owner = client('frank');
    await uploadPhotos(owner, MIN_PHOTOS - 1);
    expectProblem(await owner.startTraining(), 422, 'training.not_enough_photos');
    expect((await owner.request<{ trainings: unknown[] }>('GET', '/v1/trainings')).body.trainings).toEqual([]);

    await uploadPhotos(owner, 1);
    const first = await started(owner);
    expectProblem(await owner.startTraining(), 409, 'training.already_active');
    const listed = (await owner.request<{ trainings: TrainingJson[] }>('GET', '/v1/trainings')).body.trainings;
    expect(listed.map((t) => t.id)).toEqual([first.id]);
    expect((await owner.request('POST', `/v1/trainings/${first.id}/cancel`)).status).toBe(200);
  }, 30_000);

  it('forged, stale and replayed webhooks are refused or change nothing', async () => {
    const owner = client('grace');
    const { training, trainerId } = await trainedModel(owner);
    const record = service.simulator.control.training(trainerId)!;
    const delivered = record.webhookDeliveries.find((d) => d.status === 200)!;
    expect(delivered).toBeDefined();

    // A body claiming another version for this very training.
    const claim = JSON.stringify({ ...JSON.parse(delivered.body), output: { version: `${record.destination}:${'f'.repeat(64)}` } });
    const post = (id: string, sentAt: Date, secret: string, body = claim) =>
      fetch(`${service.url}/v1/webhooks/replicate`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
          'webhook-signature': new Webhook(secret).sign(id, sentAt, body),
        },
        body,
      });
    const wrongSecret = `whsec_${Buffer.from('not-the-configured-secret-at-all').toString('base64')}`;

    const forged = await post('msg_forged', new Date(), wrongSecret);
    expect({ status: forged.status, code: ((await forged.json()) as { code: string }).code }).toEqual({ status: 401, code: 'webhook.bad_signature' });
    const stale = await post('msg_stale', new Date(Date.now() - 10 * 60_000), WEBHOOK_SECRET);
    expect({ status: stale.status, code: ((await stale.json()) as { code: string }).code }).toEqual({ status: 401, code: 'webhook.stale' });
    // Same webhook-id as the delivery already applied, freshly and correctly signed: a no-op.
    const replayed = await post(delivered.webhookId, new Date(), WEBHOOK_SECRET);
    expect(replayed.status).toBe(200);
    expect(((await replayed.json()) as { outcome: string }).outcome).toBe('duplicate');

    const after = await owner.training(training.id);
    expect(after.status).toBe('succeeded');
    expect(after.model).toEqual(training.model);
    expect(after.model!.version).toBe(record.training.output?.version);
    expect(await owner.models()).toEqual([training.model]);
  }, 30_000);

  it('lost webhooks: the training still completes through polling', async () => {
    const owner = client('heidi');
    const hashes = await uploadPhotos(owner, MIN_PHOTOS);
    const { id } = await started(owner);
    const trainerId = await submitted(owner, id);
    service.simulator.control.setKnobs({ loseWebhooks: true });
    try {
      await service.simulator.control.complete(trainerId);
      const training = await settlesAs(owner, id, 'succeeded');
      const record = service.simulator.control.training(trainerId)!;
      expect(record.webhookDeliveries.length).toBeGreaterThan(0);
      expect(record.webhookDeliveries.every((d) => d.lost)).toBe(true);
      expect(training.model!.version).toBe(record.training.output?.version);
      expect(sorted(record.imageHashes)).toEqual(sorted(hashes));
    } finally {
      service.simulator.control.setKnobs({ loseWebhooks: false });
    }
  }, 30_000);

  it('a failed training says why; a restart is a new training that succeeds', async () => {
    const owner = client('ivan');
    const hashes = await uploadPhotos(owner, MIN_PHOTOS);
    const first = await started(owner);
    await service.simulator.control.fail(await submitted(owner, first.id), 'CUDA out of memory');
    const failed = await settlesAs(owner, first.id, 'failed');
    expect(failed.failure).toMatchObject({ code: 'trainer.training_failed' });
    expect(failed.failure!.message).toMatch(/^Training your model failed/);
    expect(failed.model).toBeNull();

    const restart = await owner.request<{ training: TrainingJson }>('POST', `/v1/trainings/${first.id}/restart`);
    expect(restart.status).toBe(202);
    const second = restart.body.training.id;
    expect(second).not.toBe(first.id);
    const trainerId = await submitted(owner, second);
    await service.simulator.control.complete(trainerId);
    const succeeded = await settlesAs(owner, second, 'succeeded');
    const record = service.simulator.control.training(trainerId)!;
    expect(succeeded.model!.version).toBe(record.training.output?.version);
    expect(sorted(record.imageHashes)).toEqual(sorted(hashes));
    expect((await owner.training(first.id)).status).toBe('failed');
  }, 30_000);

  // Last: it stops the shared worker. The crash lands in the worst place: the trainer accepted the
  // training and the worker dies before writing that down.
  it('a worker that dies mid-pipeline: a new worker finishes the job with exactly one trainer submission', async () => {
    await mainWorker.stop();
    const owner = client('judy');
    const hashes = await uploadPhotos(owner, MIN_PHOTOS);
    const before = service.simulator.control.trainings().length;
    const { id } = await started(owner);

    const real = service.container.deps.trainer;
    const never = new Promise<never>(() => undefined);
    const crashing = trainerLike(real, {
      // The trainer really receives the training; the worker never gets to record the answer.
      submit: (submission) => new ResultAsync(Promise.resolve(real.submit(submission)).then(() => never)),
    });
    const doomed = service.startWorker({ id: 'e2e-doomed', deps: { ...service.container.deps, trainer: crashing }, leaseMs: 1_000, abandoned: true });
    const accepted = await waitFor('the trainer to accept the doomed worker submission', () =>
      service.simulator.control.trainings().slice(before)[0],
    );
    // The process dies: it claims nothing more (its submission never answers; its lease runs out).
    await doomed.stop();
    expect((await owner.training(id)).status).toBe('submitting');
    expect(trainerIdOf(await owner.training(id))).toBeUndefined();

    // A new worker: it claims once the dead one's lease has expired and adopts the accepted training.
    service.startWorker({ id: 'e2e-successor' });
    expect(await submitted(owner, id)).toBe(accepted.id);
    await service.simulator.control.complete(accepted.id);
    const training = await settlesAs(owner, id, 'succeeded');

    expect(service.simulator.control.trainings().slice(before).map((r) => r.id)).toEqual([accepted.id]);
    const record = service.simulator.control.training(accepted.id)!;
    expect(sorted(record.imageHashes)).toEqual(sorted(hashes));
    expect(training.model!.version).toBe(record.training.output?.version);
  }, 30_000);
});
