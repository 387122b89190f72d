import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { OwnerId, type AuditPolicy } from '@selfie-lora/core';
import type { ModelJson } from './answer-shapes.js';
import { finishTraining, runToWaiting } from './drive.js';
import { harness, json, startTraining, uploadPhotos, type Harness } from './harness.js';
import { ADMIN_TOKEN, bearer } from './tokens.js';

// A service that did only what it should (Alice trained a model, Bob only uploaded), for the
// audit and quarantine tests to break out of band, plus the admin calls they make.

export const WEBHOOK_URL = 'https://service.example/v1/webhooks/replicate';

/** Short grace so storage is judged once the clock moved a few minutes; the stuck threshold as shipped. */
export const auditPolicy: AuditPolicy = { stuckAfterMs: 24 * 3_600_000, graceMs: 60_000, webhookUrl: WEBHOOK_URL };

export const adminAuth = bearer(ADMIN_TOKEN);

export function owner(id: string): OwnerId {
  return OwnerId.parse(id)._unsafeUnwrap();
}

export interface AdminModelJson extends ModelJson {
  ownerId: string;
  quarantineReason: string | null;
}

export interface AuditReportJson {
  checkedAt: string;
  scanned: Record<'owners' | 'uploads' | 'pipelines' | 'models' | 'objects' | 'trainings' | 'destinations' | 'versions', number>;
  skipped: string[];
  violations: ({ kind: string; ownerId: string | null } & Record<string, unknown>)[];
  quarantined: string[];
  quarantineFailed: { modelId: string; code: string; message: string }[];
}

export interface TrainedWorld {
  readonly h: Harness;
  readonly model: ModelJson;
  readonly trainingId: string;
}

/** Alice trains to a model through the API (worker steps run inline); Bob uploads two photos. */
export async function trainedWorld(options: { policy?: AuditPolicy } = {}): Promise<TrainedWorld> {
  const h = await harness({ webhookUrl: WEBHOOK_URL, app: { auditPolicy: options.policy ?? auditPolicy } });
  await uploadPhotos(h, h.alice, [1, 2, 3]);
  const started = await startTraining(h, h.alice);
  expect(started.statusCode, started.body).toBe(202);
  const trainingId = json<{ training: { id: string } }>(started).training.id;
  expect(await runToWaiting(h.core, trainingId)).toBe('training');
  finishTraining(h.core, trainingId, 'succeeded');
  expect(await runToWaiting(h.core, trainingId)).toBe('succeeded');
  await uploadPhotos(h, h.bob, [4, 5]);
  // Past the grace period, so storage is judged too.
  h.core.clock.advance(5 * 60_000);
  const models = await listedModels(h, h.alice);
  expect(models).toHaveLength(1);
  return { h, model: models[0]!, trainingId };
}

export async function listedModels(h: Harness, auth: Record<string, string>): Promise<ModelJson[]> {
  const response = await h.app.inject({ method: 'GET', url: '/v1/models', headers: auth });
  expect(response.statusCode, response.body).toBe(200);
  return json<{ models: ModelJson[] }>(response).models;
}

export function getAudit(h: Harness, headers: Record<string, string> = adminAuth): Promise<LightMyRequestResponse> {
  return h.app.inject({ method: 'GET', url: '/v1/admin/audit', headers });
}

/** The audit report, asserting a 200. */
export async function audit(h: Harness): Promise<AuditReportJson> {
  const response = await getAudit(h);
  expect(response.statusCode, response.body).toBe(200);
  return json<AuditReportJson>(response);
}

/** `payload` undefined sends no body; a string is sent as is (set its content type in `headers`). */
export function quarantineCall(
  h: Harness,
  modelId: string,
  payload: string | Record<string, unknown> | undefined,
  headers: Record<string, string> = adminAuth,
): Promise<LightMyRequestResponse> {
  const url = `/v1/admin/models/${modelId}/quarantine`;
  return h.app.inject(payload === undefined ? { method: 'POST', url, headers } : { method: 'POST', url, headers, payload });
}

export function releaseCall(h: Harness, modelId: string, headers: Record<string, string> = adminAuth): Promise<LightMyRequestResponse> {
  return h.app.inject({ method: 'POST', url: `/v1/admin/models/${modelId}/release`, headers });
}

export const kinds = (report: { violations: readonly { kind: string }[] }): string[] => report.violations.map((v) => v.kind).sort();
