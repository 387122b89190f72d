import { describe, expect, it } from 'vitest';
import type { TrainerReport } from '@selfie-lora/core';
import { finishTraining } from './support/drive.js';
import { expectProblem, harness, json, storedState, type Harness } from './support/harness.js';
import { waitingTraining } from './support/waiting-training.js';
import { replicateBody, signed } from './support/webhooks.js';

async function deliver(h: Harness, body: string, headers: Record<string, string>) {
  return h.app.inject({ method: 'POST', url: '/v1/webhooks/replicate', headers, payload: body });
}

async function statusOf(h: Harness, trainingId: string): Promise<string> {
  const response = await h.app.inject({ method: 'GET', url: `/v1/trainings/${trainingId}`, headers: h.alice });
  return json<{ training: { status: string } }>(response).training.status;
}

describe('POST /v1/webhooks/replicate', () => {
  it('applies a signed report: the training succeeds with exactly the reported version', async () => {
    const { h, trainingId } = await waitingTraining();
    const report = finishTraining(h.core, trainingId, 'succeeded');
    const body = replicateBody(report);
    const response = await deliver(h, body, signed(body, { id: 'msg_1', sentAt: h.core.clock.now() }));
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ outcome: 'applied', ignored: false });
    const done = await h.app.inject({ method: 'GET', url: `/v1/trainings/${trainingId}`, headers: h.alice });
    expect(json<{ training: { status: string; model: { version: string } } }>(done).training).toMatchObject({
      status: 'succeeded',
      model: { version: report.outputVersion },
    });
  });

  it('verifies the raw bytes: a body with its own spacing and key order still matches its signature', async () => {
    const { h, trainingId } = await waitingTraining();
    const report = finishTraining(h.core, trainingId, 'failed');
    const body = `{ "status" : "failed",\n  "id": "${report.trainerTrainingId}", "created_at": "2026-01-01T00:00:00Z", "error": "out of memory" }`;
    const response = await deliver(h, body, signed(body, { id: 'msg_raw', sentAt: h.core.clock.now() }));
    expect(response.statusCode, response.body).toBe(200);
    expect(await statusOf(h, trainingId)).toBe('failed');
  });

  it('treats a redelivery of the same webhook-id as a no-op', async () => {
    const { h, trainingId } = await waitingTraining();
    const report = finishTraining(h.core, trainingId, 'succeeded');
    const body = replicateBody(report);
    const headers = signed(body, { id: 'msg_same', sentAt: h.core.clock.now() });
    expect((await deliver(h, body, headers)).json()).toEqual({ outcome: 'applied', ignored: false });
    const after = storedState(h.core);
    const replay = await deliver(h, body, headers);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual({ outcome: 'duplicate', ignored: false });
    expect(storedState(h.core)).toEqual(after);
  });

  const refusals: {
    name: string;
    status: number;
    code: string;
    request: (h: Harness, report: TrainerReport) => { body: string; headers: Record<string, string> };
  }[] = [
    {
      name: 'signed with another secret',
      status: 401,
      code: 'webhook.bad_signature',
      request: (h, report) => {
        const body = replicateBody(report);
        const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
        return { body, headers: signed(body, { id: 'msg_forged', sentAt: h.core.clock.now(), secret }) };
      },
    },
    {
      name: 'a body changed after signing',
      status: 401,
      code: 'webhook.bad_signature',
      request: (h, report) => {
        const body = replicateBody(report);
        const headers = signed(body, { id: 'msg_tampered', sentAt: h.core.clock.now() });
        return { body: body.replace(report.outputVersion!, `${report.outputVersion!.split(':')[0]}:deadbeef`), headers };
      },
    },
    {
      name: 'stale: signed six minutes ago',
      status: 401,
      code: 'webhook.stale',
      request: (h, report) => {
        const body = replicateBody(report);
        return { body, headers: signed(body, { id: 'msg_stale', sentAt: new Date(h.core.clock.now().getTime() - 6 * 60_000) }) };
      },
    },
    {
      name: 'without signature headers',
      status: 400,
      code: 'webhook.malformed',
      request: (_h, report) => ({ body: replicateBody(report), headers: { 'content-type': 'application/json' } }),
    },
  ];

  for (const refusal of refusals) {
    it(`refuses a delivery ${refusal.name}: ${refusal.status} ${refusal.code}, and changes nothing`, async () => {
      const { h, trainingId } = await waitingTraining();
      const report = finishTraining(h.core, trainingId, 'succeeded');
      const before = storedState(h.core);
      const { body, headers } = refusal.request(h, report);
      expectProblem(await deliver(h, body, headers), refusal.status, refusal.code);
      expect(storedState(h.core)).toEqual(before);
      expect(await statusOf(h, trainingId)).toBe('training');
    });
  }

  it('acknowledges a report about an unknown training with {ignored: true}, changes nothing, and the core logs it', async () => {
    const { h, trainingId } = await waitingTraining();
    const report = finishTraining(h.core, trainingId, 'succeeded');
    const before = storedState(h.core);
    const body = replicateBody(report, { id: 'someone-elses-training' });
    const response = await deliver(h, body, signed(body, { id: 'msg_unknown', sentAt: h.core.clock.now() }));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ outcome: 'ignored', ignored: true });
    expect(storedState(h.core)).toEqual(before);
    expect(h.core.log.events).toContainEqual(
      expect.objectContaining({ kind: 'trainer_report.ignored', detail: expect.objectContaining({ trainerTrainingId: 'someone-elses-training' }) as unknown }),
    );
  });

  it("never applies a body's claims: a report naming another destination applies only the trainer's own answer", async () => {
    const { h, trainingId } = await waitingTraining();
    const report = finishTraining(h.core, trainingId, 'succeeded');
    const foreign = 'selfie-lora/selfie-lora-someone-else';
    const body = replicateBody(report, { destination: foreign, output: { version: `${foreign}:abc123` } });
    const response = await deliver(h, body, signed(body, { id: 'msg_foreign', sentAt: h.core.clock.now() }));
    expect(response.json()).toEqual({ outcome: 'applied', ignored: false });
    expect(h.core.db.snapshot().models.map((m) => m.version)).toEqual([report.outputVersion]);
    expect(report.outputVersion).not.toContain(foreign);
  });

  // Replicate's completed webhook carries the whole training log: several MiB for a long run.
  it('accepts a signed report carrying MiBs of training logs, up to 16 MiB, and applies it', async () => {
    for (const [index, logBytes] of [2 * 1024 * 1024, 16 * 1024 * 1024 - 4096].entries()) {
      const { h, trainingId } = await waitingTraining();
      const report = finishTraining(h.core, trainingId, 'succeeded');
      const body = replicateBody(report, { logs: 'x'.repeat(logBytes) });
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(16 * 1024 * 1024);
      const response = await deliver(h, body, signed(body, { id: `msg_logs_${index}`, sentAt: h.core.clock.now() }));
      expect(response.statusCode, response.body.slice(0, 200)).toBe(200);
      expect(await statusOf(h, trainingId)).toBe('succeeded');
    }
  });

  it('refuses a body past 16 MiB with 413 problem+json, and applies nothing', async () => {
    const { h, trainingId } = await waitingTraining();
    const report = finishTraining(h.core, trainingId, 'succeeded');
    const body = replicateBody(report, { logs: 'x'.repeat(16 * 1024 * 1024 + 1) });
    expectProblem(await deliver(h, body, signed(body, { id: 'msg_huge', sentAt: h.core.clock.now() })), 413, 'request.too_large');
    expect(await statusOf(h, trainingId)).toBe('training');
  });

  it('keeps the small JSON limit on every other route', async () => {
    const { h } = await waitingTraining();
    const response = await h.app.inject({
      method: 'POST',
      url: '/v1/trainings',
      headers: { ...h.alice, 'content-type': 'application/json' },
      payload: JSON.stringify({ triggerWord: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expectProblem(response, 413, 'request.too_large');
  });

  it('answers 503 when no verifier is configured, and applies nothing', async () => {
    const h = await harness();
    const response = await deliver(h, '{}', { 'content-type': 'application/json' });
    expectProblem(response, 503, 'service.not_ready');
  });
});
