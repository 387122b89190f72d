import { SERVICE, type Env } from '@selfie-lora/adapters/composition';
import { auditIntegrity, destinationFor, ownerRef, trusted, type AuditPolicy, type CoreDeps, type OwnerId } from '@selfie-lora/core';
import Replicate from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backgroundJobs, type Worker } from '@selfie-lora/http';
import { photo } from '@selfie-lora/testkit/photos';
import { Client, trainerIdOf, type ModelJson, type TrainingJson, type UploadJson } from './support/client.js';
import { waitFor } from './support/poll.js';
import { RawBucket } from './support/raw-bucket.js';
import { ADMIN_TOKEN, MIN_PHOTOS, startE2eService, type E2eService } from './support/service.js';

// Issue 12 over the real stack (HTTP, worker with its scheduled jobs, Postgres, s3rver, the
// Replicate simulator through the real `replicate` client): an owner's erasure leaves nothing of
// theirs in the bucket or at the trainer and the audit clean; photo retention erases a training's
// photos and keeps its model; another owner is never touched.

const DAY = 24 * 3_600_000;
let service: E2eService;
let worker: Worker;
let bucket: RawBucket;
let replicate: Replicate;
let policy: AuditPolicy;
let seed = 5000;

const owner = (name: string) => trusted<OwnerId>(name);
const client = (name: string) => new Client(service.url, name);

beforeAll(async () => {
  service = await startE2eService();
  // The worker with its scheduled jobs, as `npm start` runs it: erasures owed are retried.
  worker = service.startWorker({ id: 'privacy-e2e', jobs: backgroundJobs(service.container.deps, { everyMs: 100 }) });
  bucket = new RawBucket(service.container.container.get<Env>(SERVICE.env));
  replicate = new Replicate({ auth: 'r8_e2e', baseUrl: service.simulator.baseUrl });
  policy = { ...service.container.auditPolicy, graceMs: 0 };
}, 30_000);

afterAll(async () => {
  await worker?.stop();
  bucket?.close();
  await service?.close();
}, 30_000);

async function uploadPhotos(who: Client, count: number): Promise<UploadJson[]> {
  const uploads: UploadJson[] = [];
  for (let i = 0; i < count; i += 1) {
    const answer = await who.upload(await photo((seed += 13)));
    expect(answer.status).toBe(201);
    uploads.push(answer.body.upload);
  }
  return uploads;
}

async function submitted(who: Client): Promise<{ id: string; trainerId: string }> {
  await uploadPhotos(who, MIN_PHOTOS);
  const started = await who.startTraining();
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  const id = started.body.training.id;
  const trainerId = await waitFor(`training ${id} submitted`, async () => {
    const training = await who.training(id);
    return training.status === 'training' ? trainerIdOf(training) : undefined;
  });
  return { id, trainerId };
}

async function trained(who: Client): Promise<{ training: TrainingJson; model: ModelJson }> {
  const { id, trainerId } = await submitted(who);
  await service.simulator.control.complete(trainerId);
  const training = await waitFor(`training ${id} succeeded`, async () => {
    const now = await who.training(id);
    if (now.status === 'failed' || now.status === 'canceled') throw new Error(`training ${id} ended ${now.status}`);
    return now.status === 'succeeded' ? now : undefined;
  });
  return { training, model: training.model! };
}

const objectsOf = async (name: string) => (await bucket.list()).filter((o) => o.key.split('/')[1] === ownerRef(owner(name))).map((o) => o.key);

/** The owner's objects once the clean-up after a succeeded training has deleted its ZIP. */
const settledObjectsOf = (name: string) =>
  waitFor(`${name}'s training ZIP deleted`, async () => {
    const keys = await objectsOf(name);
    return keys.some((key) => key.startsWith('trainings/')) ? undefined : keys;
  });

/** The owner's per-owner destination at the trainer: its versions, or null once the model is gone. */
async function versionsAt(name: string): Promise<string[] | null> {
  const destination = destinationFor(service.container.deps.config.destinationStrategy, owner(name));
  try {
    await replicate.models.get(destination.owner, destination.name);
  } catch (cause) {
    if (String(cause).includes('404')) return null;
    throw cause;
  }
  return (await replicate.models.versions.list(destination.owner, destination.name)).results.map((v) => v.id).sort();
}

async function audit(deps: CoreDeps = service.container.deps) {
  return auditIntegrity(deps, { policy, quarantine: false }).match(
    (report) => report,
    (error) => {
      throw new Error(`the audit could not run: ${error.code} ${error.detail ?? ''}`);
    },
  );
}

const admin = (method: string, path: string) =>
  fetch(`${service.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

describe('privacy over the real stack', () => {
  it("an owner's erasure leaves nothing of theirs in the bucket or at the trainer, the audit clean, and another owner untouched", async () => {
    const alice = client('alice-erased');
    const bob = client('bob-kept');
    await trained(alice);
    const active = await submitted(alice);
    const bobs = await trained(bob);
    expect(await versionsAt('alice-erased')).toHaveLength(1);
    const bobsObjects = await settledObjectsOf('bob-kept');
    expect(bobsObjects).toHaveLength(MIN_PHOTOS);
    const bobsVersions = await versionsAt('bob-kept');
    expect(bobsVersions).toEqual([bobs.model.version.split(':')[1]]);

    const erased = await alice.request<{ erasures: { kind: string; state: string }[]; canceledTrainingId: string | null; modelsErased: number }>('DELETE', '/v1/me');
    expect(erased.status).toBe(202);
    expect(erased.body).toMatchObject({ canceledTrainingId: active.id, modelsErased: 1 });
    expect(erased.body.erasures.map((e) => e.kind)).toEqual(['objects', 'objects', 'objects', 'trainer_model']);

    // The trainer-side erasure waits for the canceled training to be stopped; the worker retries it.
    const state = await waitFor('every erasure of alice done', async () => {
      const answer = await admin('GET', '/v1/admin/owners/alice-erased/erasure');
      expect(answer.status).toBe(200);
      expect(answer.body['refused']).toBe(0);
      return answer.body['pending'] === 0 ? answer.body : undefined;
    }, 60_000);
    expect(state['done']).toBe(4);
    expect(service.simulator.control.training(active.trainerId)?.training.status).toBe('canceled');
    expect(await objectsOf('alice-erased')).toEqual([]);
    expect(await versionsAt('alice-erased')).toBeNull();
    expect(await alice.uploads()).toEqual([]);
    expect(await alice.models()).toEqual([]);
    const exported = await alice.request<{ trainings: { triggerWord: string; idempotencyKey: string | null }[] }>('GET', '/v1/me/export');
    expect(exported.body.trainings.map((t) => [t.triggerWord, t.idempotencyKey])).toEqual([
      ['', null],
      ['', null],
    ]);

    expect(await objectsOf('bob-kept')).toEqual(bobsObjects);
    expect(await versionsAt('bob-kept')).toEqual(bobsVersions);
    expect((await bob.models()).map((m) => m.id)).toEqual([bobs.model.id]);
    expect((await audit()).violations).toEqual([]);
  }, 120_000);

  it("retention erases a trained owner's photos that many days after the training succeeded; the model stays served", async () => {
    const carol = client('carol-retained');
    const dave = client('dave-untrained');
    const { model } = await trained(carol);
    const [davesPhoto] = await uploadPhotos(dave, 1);
    expect(await settledObjectsOf('carol-retained')).toHaveLength(MIN_PHOTOS);
    const later = (days: number): CoreDeps => ({ ...service.container.deps, clock: { now: () => new Date(Date.now() + days * DAY) } });

    const retention = (days: number) => backgroundJobs(later(days), { everyMs: 100, photoRetentionDays: 30 }).find((job) => job.name === 'retention')!;
    expect(await retention(29).run()).toBe(false);
    expect(await objectsOf('carol-retained')).toHaveLength(MIN_PHOTOS);
    expect(await retention(31).run()).toBe(true);
    expect(await retention(31).run()).toBe(false);

    expect(await objectsOf('carol-retained')).toEqual([]);
    expect(await carol.uploads()).toEqual([]);
    expect((await carol.models()).map((m) => m.id)).toEqual([model.id]);
    expect((await dave.uploads()).map((u) => u.id)).toEqual([davesPhoto!.id]);
    expect(await objectsOf('dave-untrained')).toHaveLength(1);

    // The export tells the owner what happened: photos deleted, the erasures done for retention.
    const exported = await carol.request<{ uploads: { status: string }[]; erasures: { reason: string; state: string }[]; models: { id: string }[] }>(
      'GET',
      '/v1/me/export',
    );
    expect(exported.status).toBe(200);
    expect(exported.body.uploads.map((u) => u.status)).toEqual(Array(MIN_PHOTOS).fill('deleted'));
    expect(exported.body.erasures).toEqual(Array(MIN_PHOTOS).fill(expect.objectContaining({ reason: 'retention', state: 'done' })));
    expect(exported.body.models.map((m) => m.id)).toEqual([model.id]);
    expect((await audit(later(31))).violations).toEqual([]);
  }, 120_000);
});
