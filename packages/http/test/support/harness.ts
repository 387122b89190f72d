import { createHash } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { createMemoryCore, type MemoryCore } from '@selfie-lora/adapters/memory';
import type { CoreConfig, CoreDeps } from '@selfie-lora/core';
import { buildHttpApp, type HttpAppOptions } from '../../src/index.js';
import { jpeg } from './images.js';
import { photoForm } from './multipart.js';
import { ADMIN_TOKEN, bearer, JWT_SECRET, tokenFor } from './tokens.js';

export interface Harness {
  readonly core: MemoryCore;
  readonly app: FastifyInstance;
  readonly alice: Record<string, string>;
  readonly bob: Record<string, string>;
}

/** The HTTP shell over the whole core in memory, with two owners' bearer headers. */
export async function harness(
  options: {
    config?: Partial<CoreConfig>;
    app?: Partial<Omit<HttpAppOptions, 'deps'>>;
    /** To wrap a port of the memory core (counting, failing). */
    deps?: (core: MemoryCore) => CoreDeps;
    /** The webhook the memory trainer reports for every training it accepts (for the audit). */
    webhookUrl?: string;
  } = {},
): Promise<Harness> {
  const core = createMemoryCore({ config: { minPhotos: 3, ...options.config }, webhookUrl: options.webhookUrl });
  const deps = options.deps ? options.deps(core) : core.deps;
  const app = buildHttpApp({ deps, auth: { jwtSecret: JWT_SECRET }, adminToken: ADMIN_TOKEN, ...options.app });
  await app.ready();
  return { core, app, alice: bearer(await tokenFor('alice')), bob: bearer(await tokenFor('bob')) };
}

export function json<T = Record<string, unknown>>(response: LightMyRequestResponse): T {
  return response.json<T>();
}

export async function postPhoto(h: Harness, auth: Record<string, string>, bytes: Uint8Array): Promise<LightMyRequestResponse> {
  const form = photoForm(bytes);
  return h.app.inject({ method: 'POST', url: '/v1/uploads', headers: { ...auth, ...form.headers }, payload: form.payload });
}

/** Uploads a photo per seed for the owner and returns their upload ids. */
export async function uploadPhotos(h: Harness, auth: Record<string, string>, seeds: readonly number[]): Promise<string[]> {
  const ids: string[] = [];
  for (const seed of seeds) {
    const response = await postPhoto(h, auth, await jpeg(seed));
    expect(response.statusCode, response.body).toBe(201);
    ids.push(json<{ upload: { id: string } }>(response).upload.id);
  }
  return ids;
}

export async function startTraining(
  h: Harness,
  auth: Record<string, string>,
  extra: Partial<InjectOptions> = {},
): Promise<LightMyRequestResponse> {
  return h.app.inject({ method: 'POST', url: '/v1/trainings', headers: { ...auth, ...(extra.headers as Record<string, string>) }, payload: extra.payload ?? {} });
}

/** Every row and every stored object (by SHA-256), to prove a refused request changed nothing. */
export function storedState(core: MemoryCore): { rows: ReturnType<MemoryCore['db']['snapshot']>; objects: Record<string, string> } {
  const objects: Record<string, string> = {};
  for (const key of core.store.keys()) objects[key] = createHash('sha256').update(core.store.getBytes(key)!).digest('hex');
  return { rows: core.db.snapshot(), objects };
}

export function expectProblem(response: LightMyRequestResponse, status: number, code: string): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = json<{ type: string; title: string; status: number; detail: string; code: string }>(response);
  expect(body).toEqual({ type: expect.any(String) as string, title: expect.any(String) as string, status, detail: expect.any(String) as string, code });
  expect(body.detail.length).toBeGreaterThan(0);
}
