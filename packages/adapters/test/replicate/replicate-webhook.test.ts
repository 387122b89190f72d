import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyReplicateWebhook, type ReplicateWebhookInput } from '../../src/replicate/index.js';
import { destinationA, startHarness, type Harness } from './support/harness.js';
import { sha256Of } from '@selfie-lora/testkit/photos';
import { startWebhookReceiver, type Delivery } from '@selfie-lora/testkit/servers';

// The simulator signs with a fixed clock, so "now" in these tests is chosen, never read.
const sentAt = new Date('2031-05-04T10:00:00.000Z');

let h: Harness;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeEach(async () => {
  h = await startHarness({ now: () => sentAt });
  receiver = await startWebhookReceiver([503]);
});
afterEach(async () => {
  await h.close();
  await receiver.close();
});

/** A completed training's webhook as the simulator delivered it (first attempt refused, then redelivered). */
async function completedDelivery(): Promise<{ trainingId: string; photos: Uint8Array[]; first: Delivery; retry: Delivery }> {
  const trainer = h.trainer({ webhookUrl: receiver.url });
  const submission = await h.submission('pipe-1', [1, 2, 3]);
  const { trainerTrainingId } = (await trainer.submit(submission))._unsafeUnwrap();
  await h.sim.control.complete(trainerTrainingId);
  const [first, retry] = receiver.deliveries;
  return { trainingId: trainerTrainingId, photos: submission.photos, first: first!, retry: retry! };
}

function verify(delivery: { readonly headers: Record<string, string>; readonly rawBody: string | Uint8Array }, overrides: Partial<ReplicateWebhookInput> = {}) {
  return verifyReplicateWebhook({ headers: delivery.headers, rawBody: delivery.rawBody, secret: h.secret, now: sentAt, ...overrides });
}

describe('verifyReplicateWebhook', () => {
  it('accepts a delivery signed by the trainer and turns its body into a report', async () => {
    const { trainingId, photos, first } = await completedDelivery();
    const verified = verify(first)._unsafeUnwrap();
    expect(verified.deliveryId).toBe(first.headers['webhook-id']);
    expect(verified.sentAt).toEqual(sentAt);
    expect(verified.report).toEqual({
      trainerTrainingId: trainingId,
      destination: destinationA,
      status: 'succeeded',
      outputVersion: `selfie-lora/selfie-lora-aaaa:${sha256Of(photos.map((p) => sha256Of(p)).sort().join('\n'))}`,
      error: null,
      // The pipeline its input (the package key) names, for adopting a training no pipeline recorded.
      pipelineId: 'pipe-1',
    });
  });

  it('a redelivery carries the same webhook-id (replay protection keys on it)', async () => {
    const { first, retry } = await completedDelivery();
    expect(h.sim.control.trainings()[0]!.webhookDeliveries.map((d) => d.status)).toEqual([503, 200]);
    expect(verify(retry)._unsafeUnwrap().deliveryId).toBe(verify(first)._unsafeUnwrap().deliveryId);
  });

  it('accepts Headers, a string body, and any one matching signature among several', async () => {
    const { first } = await completedDelivery();
    const headers = new Headers(first.headers);
    headers.set('webhook-signature', `v1,${randomBytes(32).toString('base64')} ${first.headers['webhook-signature']}`);
    const verified = verifyReplicateWebhook({ headers, rawBody: new TextDecoder().decode(first.rawBody), secret: h.secret, now: sentAt });
    expect(verified.isOk()).toBe(true);
  });

  it('refuses a signature made with another secret', async () => {
    const { first } = await completedDelivery();
    const forger = new Webhook(`whsec_${randomBytes(24).toString('base64')}`);
    const body = new TextDecoder().decode(first.rawBody);
    const headers = { ...first.headers, 'webhook-signature': forger.sign(first.headers['webhook-id']!, sentAt, body) };
    expect(verify({ ...first, headers })._unsafeUnwrapErr().code).toBe('webhook.bad_signature');
  });

  it('refuses a tampered body, a tampered id and a tampered timestamp', async () => {
    const { first } = await completedDelivery();
    const body = new TextDecoder().decode(first.rawBody).replace('"succeeded"', '"failed"');
    expect(body).not.toBe(new TextDecoder().decode(first.rawBody));
    expect(verify({ ...first, rawBody: new TextEncoder().encode(body) })._unsafeUnwrapErr().code).toBe('webhook.bad_signature');
    expect(verify({ ...first, headers: { ...first.headers, 'webhook-id': 'msg_other' } })._unsafeUnwrapErr().code).toBe('webhook.bad_signature');
    const shifted = String(Number(first.headers['webhook-timestamp']) + 1);
    expect(verify({ ...first, headers: { ...first.headers, 'webhook-timestamp': shifted } })._unsafeUnwrapErr().code).toBe('webhook.bad_signature');
  });

  it('refuses deliveries older or newer than the tolerance, by the injected clock', async () => {
    const { first } = await completedDelivery();
    const at = (seconds: number) => new Date(sentAt.getTime() + seconds * 1000);
    expect(verify(first, { now: at(300) }).isOk()).toBe(true);
    expect(verify(first, { now: at(-300) }).isOk()).toBe(true);
    expect(verify(first, { now: at(301) })._unsafeUnwrapErr().code).toBe('webhook.stale');
    expect(verify(first, { now: at(-301) })._unsafeUnwrapErr().code).toBe('webhook.stale');
    expect(verify(first, { now: at(61), toleranceSeconds: 60 })._unsafeUnwrapErr().code).toBe('webhook.stale');
  });

  it('a stale forgery is reported as a bad signature', async () => {
    const { first } = await completedDelivery();
    const headers = { ...first.headers, 'webhook-signature': `v1,${randomBytes(32).toString('base64')}` };
    expect(verify({ ...first, headers }, { now: new Date(sentAt.getTime() + 3_600_000) })._unsafeUnwrapErr().code).toBe('webhook.bad_signature');
  });

  it('refuses missing or malformed headers', async () => {
    const { first } = await completedDelivery();
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const { [name]: _gone, ...headers } = first.headers;
      expect(verify({ ...first, headers })._unsafeUnwrapErr().code).toBe('webhook.malformed');
    }
    expect(verify({ ...first, headers: { ...first.headers, 'webhook-timestamp': '1.9e9' } })._unsafeUnwrapErr().code).toBe('webhook.malformed');
  });

  it('refuses a correctly signed body that is not JSON, not UTF-8, or not a valid training', () => {
    const signer = new Webhook(h.secret);
    const signed = (body: string | Uint8Array) => {
      const text = typeof body === 'string' ? body : Buffer.from(body).toString('latin1');
      return { headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': String(sentAt.getTime() / 1000), 'webhook-signature': signer.sign('msg_1', sentAt, text) }, rawBody: body };
    };
    expect(verify(signed('{"id":'))._unsafeUnwrapErr().code).toBe('webhook.malformed');
    expect(verify(signed(JSON.stringify({ id: 'abc', status: 'succeeded', created_at: 'x', output: null })))._unsafeUnwrapErr().code).toBe('webhook.malformed');
    expect(verify(signed(JSON.stringify({ status: 'failed', created_at: 'x' })))._unsafeUnwrapErr().code).toBe('webhook.malformed');
    expect(verify(signed(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])))._unsafeUnwrapErr().code).toBe('webhook.malformed');
    expect(verify(signed(JSON.stringify({ id: 'abc', status: 'failed', created_at: 'x', error: 'boom' })))._unsafeUnwrap().report).toMatchObject({
      trainerTrainingId: 'abc',
      status: 'failed',
      error: 'boom',
    });
  });

  it('a secret that is not whsec_ is a configuration error', async () => {
    const { first } = await completedDelivery();
    expect(verify(first, { secret: h.secret.slice('whsec_'.length) })._unsafeUnwrapErr().code).toBe('webhook.misconfigured');
    expect(verify(first, { secret: 'whsec_' })._unsafeUnwrapErr().code).toBe('webhook.misconfigured');
  });
});
