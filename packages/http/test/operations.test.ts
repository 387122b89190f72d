import { errAsync, err, ok } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { errorMessages, type ErrorCode } from '@selfie-lora/core';
import { errorStatus } from '../src/index.js';
import { expectProblem, harness, json } from './support/harness.js';

describe('health and readiness', () => {
  it('GET /healthz answers 200', async () => {
    const h = await harness();
    const response = await h.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 when the readiness check passes and 503 with its code when it fails', async () => {
    let healthy = true;
    const h = await harness({
      app: {
        readiness: () =>
          Promise.resolve(healthy ? ok(undefined) : err({ code: 'persistence.unavailable', message: 'The database is not reachable.' })),
      },
    });
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
    healthy = false;
    const down = await h.app.inject({ method: 'GET', url: '/readyz' });
    expectProblem(down, 503, 'persistence.unavailable');
    expect(json<{ detail: string }>(down).detail).toBe('The database is not reachable.');
  });

  it('GET /readyz answers 503 service.not_ready when the readiness check throws', async () => {
    const h = await harness({ app: { readiness: () => Promise.reject(new Error('socket hang up')) } });
    const response = await h.app.inject({ method: 'GET', url: '/readyz' });
    expectProblem(response, 503, 'service.not_ready');
    expect(response.body).not.toContain('socket');
  });
});

describe('errors', () => {
  it('answers an unknown route with 404 route.not_found', async () => {
    const h = await harness();
    expectProblem(await h.app.inject({ method: 'GET', url: '/v1/nothing-here' }), 404, 'route.not_found');
    expectProblem(await h.app.inject({ method: 'PUT', url: '/v1/uploads' }), 404, 'route.not_found');
  });

  it('turns an unexpected exception into 500 internal without leaking it', async () => {
    const h = await harness({
      deps: (core) => ({
        ...core.deps,
        uow: {
          transaction: () => {
            throw new Error('connection string postgres://secret@db failed');
          },
        },
      }),
    });
    const response = await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: h.alice });
    expectProblem(response, 500, 'internal');
    expect(response.body).not.toContain('secret');
    expect(response.body).not.toContain('postgres');
  });

  it("maps a core failure to its status, with the core's user-facing message as the detail and nothing technical", async () => {
    const h = await harness({
      deps: (core) => ({
        ...core.deps,
        uow: { transaction: () => errAsync({ code: 'persistence.unavailable', message: errorMessages['persistence.unavailable'], detail: 'ECONNREFUSED 10.0.0.5:5432', transient: true }) },
      }),
    });
    const response = await h.app.inject({ method: 'GET', url: '/v1/models', headers: h.alice });
    expectProblem(response, 503, 'persistence.unavailable');
    expect(json<{ detail: string }>(response).detail).toBe(errorMessages['persistence.unavailable']);
    expect(response.body).not.toContain('ECONNREFUSED');
  });

  it('has an HTTP error status for every core error code', () => {
    for (const code of Object.keys(errorMessages) as ErrorCode[]) {
      expect(errorStatus[code], code).toBeGreaterThanOrEqual(400);
      expect(errorStatus[code], code).toBeLessThan(600);
    }
    expect(Object.keys(errorStatus).sort()).toEqual(Object.keys(errorMessages).sort());
  });
});

interface Operation {
  security?: unknown;
  tags?: string[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, unknown>;
}

describe('GET /openapi.json', () => {
  it('documents every route of the contract, generated from the route schemas', async () => {
    const h = await harness();
    const response = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = json<{ openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } }>(response);
    expect(document.openapi).toMatch(/^3\./);
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(
      [
        'POST /v1/uploads',
        'GET /v1/uploads',
        'DELETE /v1/uploads/{id}',
        'POST /v1/uploads/presigned',
        'POST /v1/uploads/{id}/complete',
        'GET /v1/uploads/{id}/content',
        'POST /v1/trainings',
        'GET /v1/trainings',
        'GET /v1/trainings/{id}',
        'GET /v1/trainings/{id}/events',
        'POST /v1/trainings/{id}/cancel',
        'POST /v1/trainings/{id}/restart',
        'GET /v1/models',
        'POST /v1/webhooks/replicate',
        'GET /v1/admin/audit',
        'POST /v1/admin/audit/quarantine',
        'POST /v1/admin/models/{id}/quarantine',
        'POST /v1/admin/models/{id}/release',
        'DELETE /v1/admin/owners/{ownerId}',
        'GET /v1/admin/owners/{ownerId}/erasure',
        'DELETE /v1/me',
        'GET /v1/me/export',
        'GET /healthz',
        'GET /readyz',
        'GET /openapi.json',
      ].sort(),
    );
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['Upload', 'UploadSlot', 'Training', 'Model', 'Problem', 'AuditReport', 'AdminModel', 'OwnerExport', 'OwnerErasureReport']),
    );
    const upload = document.paths['/v1/uploads']!.post as { requestBody: { content: Record<string, unknown> } };
    expect(Object.keys(upload.requestBody.content)).toEqual(['multipart/form-data']);
  });

  it('documents the web app routes beside the API when it is served, and none of its files', async () => {
    const h = await harness({ app: { webApp: { demoSignIn: true, maxPixels: 40_000_000 } } });
    const document = json<{ paths: Record<string, Record<string, unknown>> }>(await h.app.inject({ method: 'GET', url: '/openapi.json' }));
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/app-config.json', '/v1/demo/sign-in']));
    expect(Object.keys(document.paths).filter((path) => path === '/' || path.includes('*'))).toEqual([]);
  });

  it('documents the presigned upload: a required byteSize in the JSON body, and the slot signed for it', async () => {
    const h = await harness();
    const document = json<{ paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } }>(
      await h.app.inject({ method: 'GET', url: '/openapi.json' }),
    );
    const presigned = document.paths['/v1/uploads/presigned']!.post!;
    expect(presigned.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(presigned.requestBody!.content)).toEqual(['application/json']);
    expect(presigned.requestBody!.content['application/json']!.schema).toMatchObject({
      type: 'object',
      required: ['byteSize'],
      additionalProperties: false,
      properties: { byteSize: { type: 'integer', exclusiveMinimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
    });
    expect(JSON.stringify(presigned.responses['201'])).toContain('UploadSlot');
    const slot = document.components.schemas['UploadSlot'] as { required: string[]; properties: Record<string, unknown> };
    expect(slot.required).toEqual(expect.arrayContaining(['id', 'url', 'method', 'expiresAt', 'byteSize', 'maxBytes']));
    expect(slot.properties).toMatchObject({ byteSize: { type: 'integer' }, maxBytes: { type: 'integer' } });
  });

  it('documents the admin routes behind the admin token, and the quarantine body', async () => {
    const h = await harness();
    const document = json<{ paths: Record<string, Record<string, Operation>> }>(await h.app.inject({ method: 'GET', url: '/openapi.json' }));
    const admin = [
      document.paths['/v1/admin/audit']!.get!,
      document.paths['/v1/admin/audit/quarantine']!.post!,
      document.paths['/v1/admin/models/{id}/quarantine']!.post!,
      document.paths['/v1/admin/models/{id}/release']!.post!,
    ];
    for (const operation of admin) {
      expect(operation.security).toEqual([{ adminToken: [] }]);
      expect(operation.tags).toEqual(['admin']);
    }
    // Owner routes are not behind the admin token.
    expect(document.paths['/v1/models']!.get!.security).toEqual([{ bearerAuth: [] }]);
    const body = admin[2]!.requestBody!.content['application/json']!.schema;
    expect(body).toMatchObject({ type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } });
    expect(JSON.stringify(admin[0]!.responses['200'])).toContain('AuditReport');
    expect(JSON.stringify(admin[1]!.responses['200'])).toContain('AuditReport');
    expect(admin[1]!.requestBody).toBeUndefined();
    expect(JSON.stringify(admin[2]!.responses['200'])).toContain('AdminModel');
  });
});
