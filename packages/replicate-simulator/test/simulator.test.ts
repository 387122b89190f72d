import { zipSync } from 'fflate';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startReplicateSimulator, type RunningSimulator, type TrainingJson } from '../src/index.js';
import { sha256Of } from '@selfie-lora/testkit/photos';
import { startFileServer, startWebhookReceiver, type FileServer } from '@selfie-lora/testkit/servers';

// The simulator treats ZIP entries as opaque bytes (it hashes, never decodes, them), so these
// tests use small distinct byte strings; the adapter tests train on real images.
const secret = `whsec_${randomBytes(24).toString('base64')}`;
const token = 'r8_test_token';
const entry = (n: number) => new TextEncoder().encode(`entry-${n}-${'x'.repeat(n * 10)}`);

let sim: RunningSimulator;
let files: FileServer;

async function api(method: string, path: string, body?: unknown, auth = token): Promise<{ status: number; json: unknown; text: string; headers: Headers }> {
  const response = await fetch(`${sim.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: response.status, json, text, headers: response.headers };
}

function zipOf(entries: Record<string, Uint8Array>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(entries).map(([name, bytes]) => [name, [bytes, { level: 0 }]])));
}

async function createModel(owner = 'acme', name = 'selfie-lora-a') {
  return api('POST', '/models', { owner, name, visibility: 'private', hardware: 'cpu' });
}

async function createTraining(inputUrl: string, extra: Record<string, unknown> = {}, destination = 'acme/selfie-lora-a') {
  return api('POST', '/models/ostris/flux-dev-lora-trainer/versions/v123/trainings', {
    destination,
    input: { input_images: inputUrl, trigger_word: 'TOK' },
    ...extra,
  });
}

beforeEach(async () => {
  files = await startFileServer();
  sim = await startReplicateSimulator({ webhookSecret: secret, apiToken: token, knobs: { webhookBackoffMs: 1 } });
});

afterEach(async () => {
  await sim.close();
  await files.close();
});

describe('replicate simulator: models', () => {
  it('refuses requests without the bearer token', async () => {
    const answer = await api('GET', '/models/acme/x', undefined, 'wrong');
    expect(answer.status).toBe(401);
  });

  it('creates a model once, answers 404 before and 409 on a second create', async () => {
    expect((await api('GET', '/models/acme/selfie-lora-a')).status).toBe(404);
    const created = await createModel();
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ owner: 'acme', name: 'selfie-lora-a', visibility: 'private', latest_version: null });
    expect((await api('GET', '/models/acme/selfie-lora-a')).status).toBe(200);
    expect((await createModel()).status).toBe(409);
  });

  it('refuses a malformed model body with 422', async () => {
    expect((await api('POST', '/models', { owner: 'acme', name: 'x' })).status).toBe(422);
  });
});

describe('replicate simulator: trainings', () => {
  it('downloads the input ZIP, hashes its images and derives the version from them', async () => {
    await createModel();
    const images = { 'a.jpg': entry(1), 'b.jpg': entry(2), 'a.txt': new TextEncoder().encode('caption') };
    const url = files.serve('trainings/owner1/pipe-1/training.zip', zipOf(images));
    const created = await createTraining(url);
    expect(created.status).toBe(201);
    const training = created.json as TrainingJson;
    expect(training).toMatchObject({ status: 'starting', destination: 'acme/selfie-lora-a', output: null, model: 'ostris/flux-dev-lora-trainer', version: 'v123' });
    expect(files.downloads).toEqual(['/trainings/owner1/pipe-1/training.zip']);

    const record = sim.control.training(training.id)!;
    expect([...record.imageHashes].sort()).toEqual([sha256Of(entry(1)), sha256Of(entry(2))].sort());
    expect(record.entries).toContain('a.txt');

    const done = await sim.control.complete(training.id);
    const expected = sha256Of([sha256Of(entry(1)), sha256Of(entry(2))].sort().join('\n'));
    expect(done.status).toBe('succeeded');
    expect(done.output?.version).toBe(`acme/selfie-lora-a:${expected}`);
    const versions = await api('GET', '/models/acme/selfie-lora-a/versions');
    expect(versions.json).toMatchObject({ results: [{ id: expected }] });
    expect((await api('GET', `/trainings/${training.id}`)).json).toMatchObject({ status: 'succeeded' });
  });

  it('refuses a training whose destination model does not exist', async () => {
    const url = files.serve('t/p/training.zip', zipOf({ 'a.jpg': entry(1) }));
    expect((await createTraining(url)).status).toBe(404);
    expect(sim.control.trainings()).toEqual([]);
  });

  it('accepts an input it cannot download, and the training then fails', async () => {
    await createModel();
    const created = await createTraining(files.serve('t/p/training.zip', new TextEncoder().encode('not a zip')));
    const id = (created.json as TrainingJson).id;
    expect(sim.control.training(id)!.downloadError).not.toBeNull();
    const done = await sim.control.complete(id);
    expect(done.status).toBe('failed');
    expect(done.output).toBeNull();
  });

  it('moves to processing on the first poll, completes after N polls when told to, cancels', async () => {
    await createModel();
    sim.control.setKnobs({ autoComplete: { afterPolls: 2 } });
    const url = files.serve('t/p1/training.zip', zipOf({ 'a.jpg': entry(1) }));
    const id = ((await createTraining(url)).json as TrainingJson).id;
    expect((await api('GET', `/trainings/${id}`)).json).toMatchObject({ status: 'processing' });
    expect((await api('GET', `/trainings/${id}`)).json).toMatchObject({ status: 'succeeded' });
    expect(sim.control.training(id)!.polls).toBe(2);

    sim.control.setKnobs({ autoComplete: null });
    const other = ((await createTraining(url)).json as TrainingJson).id;
    expect((await api('POST', `/trainings/${other}/cancel`)).json).toMatchObject({ status: 'canceled' });
    // Canceling a finished training changes nothing.
    expect((await api('POST', `/trainings/${id}/cancel`)).json).toMatchObject({ status: 'succeeded' });
    expect((await api('GET', '/trainings/nope')).status).toBe(404);
  });

  it('completes trainings by itself after a delay when told to, and sends the webhook', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await createModel();
      sim.control.setKnobs({ autoComplete: { afterMs: 5 } });
      const url = files.serve('t/p/training.zip', zipOf({ 'a.jpg': entry(1) }));
      const id = ((await createTraining(url, { webhook: receiver.url })).json as TrainingJson).id;
      await vi.waitFor(() => expect(sim.control.training(id)!.training.status).toBe('succeeded'), { timeout: 5_000 });
      await sim.control.settled();
      expect(receiver.deliveries).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('fails trainings when the knob says so', async () => {
    await createModel();
    sim.control.setKnobs({ failTrainings: true, autoComplete: { afterPolls: 1 } });
    const id = ((await createTraining(files.serve('t/p/training.zip', zipOf({ 'a.jpg': entry(1) })))).json as TrainingJson).id;
    expect((await api('GET', `/trainings/${id}`)).json).toMatchObject({ status: 'failed', error: 'simulated training failure', output: null });
  });

  it('lists trainings most recent first, paginated with absolute next links', async () => {
    await createModel();
    sim.control.setKnobs({ pageSize: 2 });
    const url = files.serve('t/p/training.zip', zipOf({ 'a.jpg': entry(1) }));
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push(((await createTraining(url)).json as TrainingJson).id);
    const seen: string[] = [];
    let next: string | null = `${sim.baseUrl}/trainings`;
    while (next) {
      const response = await fetch(next, { headers: { authorization: `Bearer ${token}` } });
      const body = (await response.json()) as { next: string | null; results: TrainingJson[] };
      seen.push(...body.results.map((t) => t.id));
      next = body.next;
    }
    expect(seen).toEqual([...ids].reverse());
  });

  it('lists every training with its destination, and its webhook when it was given one', async () => {
    await createModel();
    await createModel('acme', 'selfie-lora-b');
    const url = files.serve('t/p/training.zip', zipOf({ 'a.jpg': entry(1) }));
    const withHook = ((await createTraining(url, { webhook: 'https://hooks.example/one' })).json as TrainingJson).id;
    const without = ((await createTraining(url, {}, 'acme/selfie-lora-b')).json as TrainingJson).id;
    const listed = (await api('GET', '/trainings')).json as { results: TrainingJson[] };
    expect(listed.results).toHaveLength(2);
    expect(listed.results[0]).toMatchObject({ id: without, destination: 'acme/selfie-lora-b' });
    expect(listed.results[0]).not.toHaveProperty('webhook');
    expect(listed.results[1]).toMatchObject({ id: withHook, destination: 'acme/selfie-lora-a', webhook: 'https://hooks.example/one' });
  });

  it('a listing being read is not shifted by trainings created meanwhile: nothing repeated, nothing skipped', async () => {
    await createModel();
    sim.control.setKnobs({ pageSize: 2 });
    const url = files.serve('t/p/training.zip', zipOf({ 'a.jpg': entry(1) }));
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push(((await createTraining(url)).json as TrainingJson).id);
    const first = (await api('GET', '/trainings')).json as { next: string | null; results: TrainingJson[] };
    for (let i = 0; i < 3; i += 1) await createTraining(url);
    const seen = first.results.map((t) => t.id);
    let next = first.next;
    while (next) {
      const body = (await (await fetch(next, { headers: { authorization: `Bearer ${token}` } })).json()) as { next: string | null; results: TrainingJson[] };
      seen.push(...body.results.map((t) => t.id));
      next = body.next;
    }
    expect(seen).toEqual([...ids].reverse());
  });
});

describe('replicate simulator: versions', () => {
  it('lists the versions of a model most recent first, paginated, and 404 for a missing model', async () => {
    sim.control.setKnobs({ pageSize: 2 });
    const planted = [1, 2, 3, 4, 5].map((n) => sim.control.plantVersion('acme/selfie-lora-a', String(n).repeat(64)).split(':')[1]);
    const seen: string[] = [];
    let pages = 0;
    let next: string | null = `${sim.baseUrl}/models/acme/selfie-lora-a/versions`;
    while (next) {
      const body = (await (await fetch(next, { headers: { authorization: `Bearer ${token}` } })).json()) as { next: string | null; results: { id: string }[] };
      expect(body.results.length).toBeLessThanOrEqual(2);
      seen.push(...body.results.map((v) => v.id));
      next = body.next;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...planted].reverse());
    expect((await api('GET', '/models/acme/nothing/versions')).status).toBe(404);
  });
});

describe('replicate simulator: webhooks', () => {
  it('signs the completed webhook, and retries a refused one with the same webhook-id', async () => {
    const receiver = await startWebhookReceiver([500, 503]);
    try {
      await createModel();
      const url = files.serve('t/p/training.zip', zipOf({ 'a.jpg': entry(1) }));
      const id = ((await createTraining(url, { webhook: receiver.url, webhook_events_filter: ['completed'] })).json as TrainingJson).id;
      await sim.control.complete(id);
      expect(receiver.deliveries).toHaveLength(3);
      const ids = new Set(receiver.deliveries.map((r) => r.headers['webhook-id']));
      expect(ids.size).toBe(1);
      for (const delivery of receiver.deliveries) {
        const payload = new Webhook(secret).verify(delivery.body, delivery.headers) as TrainingJson;
        expect(payload).toMatchObject({ id, status: 'succeeded' });
      }
      expect(sim.control.training(id)!.webhookDeliveries.map((d) => d.status)).toEqual([500, 503, 200]);

      await sim.control.redeliver(id);
      expect(receiver.deliveries).toHaveLength(4);
      expect(receiver.deliveries[3]!.headers['webhook-id']).toBe(receiver.deliveries[0]!.headers['webhook-id']);
    } finally {
      await receiver.close();
    }
  });

  it('a webhook signed with another secret does not verify', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await createModel();
      const url = files.serve('t/p/training.zip', zipOf({ 'a.jpg': entry(1) }));
      const id = ((await createTraining(url, { webhook: receiver.url })).json as TrainingJson).id;
      await sim.control.fail(id);
      const [delivery] = receiver.deliveries;
      const other = new Webhook(`whsec_${randomBytes(24).toString('base64')}`);
      expect(() => other.verify(delivery!.body, delivery!.headers)).toThrow();
    } finally {
      await receiver.close();
    }
  });

  it('loses webhooks when told to, and sends none when the filter excludes completed', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await createModel();
      const url = files.serve('t/p/training.zip', zipOf({ 'a.jpg': entry(1) }));
      sim.control.setKnobs({ loseWebhooks: true });
      const lost = ((await createTraining(url, { webhook: receiver.url })).json as TrainingJson).id;
      await sim.control.complete(lost);
      expect(sim.control.training(lost)!.webhookDeliveries).toMatchObject([{ lost: true, status: null }]);
      sim.control.setKnobs({ loseWebhooks: false });
      const filtered = ((await createTraining(url, { webhook: receiver.url, webhook_events_filter: ['start'] })).json as TrainingJson).id;
      await sim.control.complete(filtered);
      await sim.control.settled();
      expect(receiver.deliveries).toEqual([]);
    } finally {
      await receiver.close();
    }
  });
});

describe('replicate simulator: knobs', () => {
  it('answers 503 and 429 (with retry-after) for the next N requests, then recovers', async () => {
    sim.control.setKnobs({ serverErrors: 1, rateLimited: 1 });
    expect((await api('GET', '/trainings')).status).toBe(503);
    const limited = await api('GET', '/trainings');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await api('GET', '/trainings')).status).toBe(200);
  });

  it('sends truncated JSON when told to, and rewrites bodies through tamper', async () => {
    await createModel();
    sim.control.setKnobs({ malformedJson: 1 });
    const broken = await api('GET', '/models/acme/selfie-lora-a');
    expect(broken.status).toBe(200);
    expect(broken.json).toBeNull();
    sim.control.tamper({ match: (r) => r.method === 'GET', rewrite: (body) => ({ ...(body as object), owner: 42 }) });
    expect((await api('GET', '/models/acme/selfie-lora-a')).json).toMatchObject({ owner: 42 });
    expect((await api('GET', '/models/acme/selfie-lora-a')).json).toMatchObject({ owner: 'acme' });
  });

  it('plants a version no training produced, creating the model when missing', async () => {
    expect((await api('GET', '/models/acme/selfie-lora-a')).status).toBe(404);
    const ref = sim.control.plantVersion('acme/selfie-lora-a', 'f'.repeat(64));
    expect(ref).toBe(`acme/selfie-lora-a:${'f'.repeat(64)}`);
    expect((await api('GET', '/models/acme/selfie-lora-a')).status).toBe(200);
    expect((await api('GET', '/models/acme/selfie-lora-a/versions')).json).toMatchObject({ results: [{ id: 'f'.repeat(64) }] });
    const generated = sim.control.plantVersion('acme/selfie-lora-a');
    expect(generated).toMatch(/^acme\/selfie-lora-a:[0-9a-f]{64}$/);
    expect(() => sim.control.plantVersion('no-slash')).toThrow(/cannot plant/);
    expect(() => sim.control.plantVersion('acme/x', '../y')).toThrow(/cannot plant/);
  });

  it('only lets the configured account create models', async () => {
    await sim.close();
    sim = await startReplicateSimulator({ webhookSecret: secret, apiToken: token, account: 'acme' });
    expect((await createModel('someone-else', 'x')).status).toBe(403);
    expect((await createModel('acme', 'x')).status).toBe(201);
  });
});
