import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contradicts, trusted, type PipelineId } from '@selfie-lora/core';
import { startReplicateSimulator } from '@selfie-lora/replicate-simulator';
import { API_TOKEN, destinationA, startHarness, TRAINER_REF, type Harness } from './support/harness.js';
import { ReplicateTrainer } from '../../src/replicate/index.js';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

/** A training accepted by the simulator, for the get/cancel fault cases. */
async function running(): Promise<string> {
  return (await h.trainer().submit(await h.submission('pipe-1', [1, 2])))._unsafeUnwrap().trainerTrainingId;
}

const isTrainingGet = (r: { method: string; path: string }) => r.method === 'GET' && /^\/v1\/trainings\/[^/]+$/.test(r.path);
type Json = Record<string, unknown>;

describe('ReplicateTrainer: answers that fail their schema are trainer.invalid_response', () => {
  it('a body that is not JSON', async () => {
    const id = await running();
    h.sim.control.setKnobs({ malformedJson: 1 });
    expect((await h.trainer().get(id))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.invalid_response' });
  });

  const broken: [string, (training: Json) => unknown][] = [
    ['missing id', ({ id: _id, ...rest }) => rest],
    ['empty id', (t) => ({ ...t, id: '' })],
    ['mistyped id', (t) => ({ ...t, id: 12345 })],
    ['mistyped status', (t) => ({ ...t, status: 42 })],
    ['unknown status', (t) => ({ ...t, status: 'done' })],
    ['missing created_at', ({ created_at: _c, ...rest }) => rest],
    ['malformed destination', (t) => ({ ...t, destination: 'no slash here' })],
    ['mistyped output version', (t) => ({ ...t, status: 'succeeded', output: { version: 123 } })],
    ['succeeded without output', (t) => ({ ...t, status: 'succeeded', output: null })],
    ['succeeded with a version that is not owner/name:hash', (t) => ({ ...t, status: 'succeeded', output: { version: 'latest' } })],
    ['not an object', () => ['a', 'list']],
  ];
  it.each(broken)('get: %s', async (_name, rewrite) => {
    const id = await running();
    h.sim.control.tamper({ match: isTrainingGet, rewrite: (body) => rewrite(body as Json) });
    const result = await h.trainer().get(id);
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.invalid_response' });
  });

  it('submit: a created training that names another input', async () => {
    h.sim.control.tamper({
      match: (r) => r.method === 'POST' && r.path.endsWith('/trainings'),
      rewrite: (body) => ({ ...(body as Json), input: { input_images: 'https://elsewhere.example/other.zip' } }),
    });
    const result = await h.trainer().submit(await h.submission('pipe-1', [1]));
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.invalid_response' });
  });

  it('submit: the destination lookup answering another model', async () => {
    await running(); // the destination exists now
    h.sim.control.tamper({ match: (r) => r.path === '/v1/models/selfie-lora/selfie-lora-aaaa', rewrite: (body) => ({ ...(body as Json), name: 'someone-else' }) });
    const result = await h.trainer().submit(await h.submission('pipe-2', [2]));
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.invalid_response' });
  });

  it('cancel: an answer about another training', async () => {
    const id = await running();
    h.sim.control.tamper({ match: (r) => r.path.endsWith('/cancel'), rewrite: (body) => ({ ...(body as Json), id: 'aaaaaaaaaaaaaaaaaaaaaaaaaa' }) });
    expect((await h.trainer().cancel(id))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.invalid_response' });
  });

  it('findSubmission: a malformed page, or a next link to another host (it would carry our token)', async () => {
    await running();
    const isList = (r: { method: string; path: string }) => r.path === '/v1/trainings';
    h.sim.control.tamper({ match: isList, rewrite: (body) => ({ ...(body as Json), results: 'none' }) });
    expect((await h.trainer().findSubmission(trusted<PipelineId>('other')))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.invalid_response' });
    h.sim.control.tamper({ match: isList, rewrite: (body) => ({ ...(body as Json), next: 'https://collector.example/v1/trainings?cursor=1' }) });
    expect((await h.trainer().findSubmission(trusted<PipelineId>('other')))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.invalid_response' });
  });

  it('listVersions: a version without an id', async () => {
    h.sim.control.plantVersion('selfie-lora/selfie-lora-aaaa');
    h.sim.control.tamper({ match: (r) => r.path.endsWith('/versions'), rewrite: (body) => ({ ...(body as Json), results: [{ created_at: 'x' }] }) });
    expect((await h.trainer().listVersions(destinationA))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.invalid_response' });
  });
});

describe('ReplicateTrainer: what the answer says is reported faithfully, for the core to judge', () => {
  it('another destination', async () => {
    const id = await running();
    await h.sim.control.complete(id);
    h.sim.control.tamper({
      match: isTrainingGet,
      rewrite: (body) => ({ ...(body as Json), destination: 'mallory/her-model', output: { version: `mallory/her-model:${'b'.repeat(64)}` } }),
    });
    const report = (await h.trainer().get(id))._unsafeUnwrap();
    expect(report.destination).toEqual({ owner: 'mallory', name: 'her-model' });
    expect(contradicts(report.destination, destinationA)).toBe(true);
  });

  it('a version written to another destination than the one the training names', async () => {
    const id = await running();
    await h.sim.control.complete(id);
    h.sim.control.tamper({ match: isTrainingGet, rewrite: (body) => ({ ...(body as Json), output: { version: `mallory/her-model:${'b'.repeat(64)}` } }) });
    const report = (await h.trainer().get(id))._unsafeUnwrap();
    expect(report).toMatchObject({ destination: destinationA, outputVersion: `mallory/her-model:${'b'.repeat(64)}` });
  });

  const withoutDestination = (body: unknown) => {
    const { destination: _gone, ...rest } = body as Json;
    return rest;
  };

  it('no destination field: the one its output version names, else null', async () => {
    const id = await running();
    h.sim.control.tamper({ match: isTrainingGet, rewrite: withoutDestination });
    expect((await h.trainer().get(id))._unsafeUnwrap().destination).toBeNull();
    await h.sim.control.complete(id);
    h.sim.control.tamper({ match: isTrainingGet, rewrite: withoutDestination });
    expect((await h.trainer().get(id))._unsafeUnwrap().destination).toEqual(destinationA);
  });

  it('another training id', async () => {
    const id = await running();
    h.sim.control.tamper({ match: isTrainingGet, rewrite: (body) => ({ ...(body as Json), id: 'zzzzzzzzzzzzzzzzzzzzzzzzzz' }) });
    expect((await h.trainer().get(id))._unsafeUnwrap().trainerTrainingId).toBe('zzzzzzzzzzzzzzzzzzzzzzzzzz');
  });

  it('aborted is a failure', async () => {
    const id = await running();
    h.sim.control.tamper({ match: isTrainingGet, rewrite: (body) => ({ ...(body as Json), status: 'aborted' }) });
    expect((await h.trainer().get(id))._unsafeUnwrap()).toMatchObject({ status: 'failed', error: 'aborted' });
  });
});

describe('ReplicateTrainer: transport trouble is transient trainer.unavailable, refusals are trainer.rejected', () => {
  it('GET answered 503 recovers within the client retries (1 + 5 attempts), then is unavailable', async () => {
    const id = await running();
    h.sim.control.setKnobs({ serverErrors: 5 });
    expect((await h.trainer().get(id))._unsafeUnwrap().trainerTrainingId).toBe(id);
    expect(h.sim.control.requests.filter(isTrainingGet).map((r) => r.status)).toEqual([503, 503, 503, 503, 503, 200]);

    h.sim.control.setKnobs({ serverErrors: 6 });
    expect((await h.trainer().get(id))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.unavailable', transient: true });
  });

  it('GET answered 429 past the retries: unavailable, carrying the Retry-After it gave for the poll to wait', async () => {
    const id = await running();
    h.sim.control.setKnobs({ rateLimited: 6, rateLimitRetryAfter: '30' });
    expect((await h.trainer().get(id))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.unavailable', transient: true, retryAfterSeconds: 30 });
    h.sim.control.setKnobs({ rateLimited: 6, rateLimitRetryAfter: '-3' });
    expect((await h.trainer().get(id))._unsafeUnwrapErr().retryAfterSeconds).toBeUndefined();
  });

  it('a POST answered 503 is not retried by the client: unavailable at once, and no training exists', async () => {
    h.sim.control.setKnobs({ serverErrors: 1, faultsOn: (r) => r.method === 'POST' && r.path.endsWith('/trainings') });
    const result = await h.trainer().submit(await h.submission('pipe-1', [1]));
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.unavailable', transient: true });
    expect(h.sim.control.trainings()).toEqual([]);
  });

  it.each<[string, string, number | undefined]>([
    ['seconds', '45', 45],
    ['an HTTP date', new Date(Date.now() + 120_000).toUTCString(), 120],
    ['nothing usable', 'soon', undefined],
  ])('a POST answered 429 past the client retries carries the Retry-After it gave (%s) for the step to wait', async (_, header, seconds) => {
    h.sim.control.setKnobs({ rateLimited: 6, rateLimitRetryAfter: header, faultsOn: (r) => r.method === 'POST' && r.path.endsWith('/trainings') });
    const error = (await h.trainer().submit(await h.submission('pipe-1', [1])))._unsafeUnwrapErr();
    expect(error).toMatchObject({ code: 'trainer.unavailable', transient: true });
    if (seconds === undefined) expect(error.retryAfterSeconds).toBeUndefined();
    // An HTTP date is read against our clock a moment later: within a few seconds of it.
    else expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(seconds - 5);
    if (seconds !== undefined) expect(error.retryAfterSeconds).toBeLessThanOrEqual(seconds);
    expect(h.sim.control.trainings()).toEqual([]);
    h.sim.control.setKnobs({ rateLimited: 0, rateLimitRetryAfter: '1' });
  });

  it('a POST answered 429 is retried by the client', async () => {
    h.sim.control.setKnobs({ rateLimited: 2, faultsOn: (r) => r.method === 'POST' && r.path.endsWith('/trainings') });
    const result = await h.trainer().submit(await h.submission('pipe-1', [1]));
    expect(result.isOk()).toBe(true);
    expect(h.sim.control.trainings()).toHaveLength(1);
  });

  it('a slow trainer times out', async () => {
    const id = await running();
    h.sim.control.setKnobs({ delayMs: 200 });
    const result = await h.trainer({ requestTimeoutMs: 20 }).get(id);
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.unavailable', transient: true });
  });

  it('a create that times out is not repeated (no duplicate trainings), and findSubmission adopts it', async () => {
    await running(); // the destination exists
    const isCreate = (r: { method: string; path: string }) => r.method === 'POST' && r.path.endsWith('/trainings');
    h.sim.control.setKnobs({ delayMs: 150, faultsOn: isCreate });
    const late = await h.submission('pipe-late', [7, 8]);
    const result = await h.trainer({ requestTimeoutMs: 30 }).submit(late);
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.unavailable', transient: true });
    // The trainer still accepted that one request: exactly one training for the pipeline, to adopt.
    await vi.waitFor(() => expect(h.sim.control.requests.filter(isCreate)).toHaveLength(2), { timeout: 5_000 });
    h.sim.control.setKnobs({ delayMs: 0 });
    const adopted = (await h.trainer().findSubmission(late.pipelineId))._unsafeUnwrap();
    expect(adopted).not.toBeNull();
    expect(h.sim.control.trainings().filter((t) => t.inputUrl === late.inputUrl)).toHaveLength(1);
  });

  it('an unreachable trainer', async () => {
    const gone = await startReplicateSimulator({ webhookSecret: h.secret });
    const baseUrl = gone.baseUrl;
    await gone.close();
    const trainer = new ReplicateTrainer({ apiToken: API_TOKEN, baseUrl, trainer: TRAINER_REF });
    expect((await trainer.get('abc'))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.unavailable', transient: true });
    expect((await trainer.submit(await h.submission('pipe-1', [1])))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.unavailable' });
  });

  it('404 for an unknown training, 403 for a destination the account may not create, malformed ids refused unsent', async () => {
    const trainer = h.trainer();
    expect((await trainer.get('nosuchtraining'))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.rejected' });
    expect((await trainer.cancel('nosuchtraining'))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.rejected' });
    expect((await trainer.get('../models/x'))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.rejected' });
    expect(h.sim.control.requests.some((r) => r.path.includes('models/x'))).toBe(false);

    const strict = await startReplicateSimulator({ webhookSecret: h.secret, apiToken: API_TOKEN, account: 'selfie-lora' });
    try {
      const other = new ReplicateTrainer({ apiToken: API_TOKEN, baseUrl: strict.baseUrl, trainer: TRAINER_REF });
      const submission = await h.submission('pipe-1', [1], { owner: 'not-our-account', name: 'x' });
      const result = await other.submit(submission);
      expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.rejected' });
      expect(result._unsafeUnwrapErr().transient).toBeUndefined();
    } finally {
      await strict.close();
    }
  });
});
