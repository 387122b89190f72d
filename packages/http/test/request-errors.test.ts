import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { ADMIN_TOKEN, bearer } from './support/tokens.js';
import { expectProblem, harness, json, startTraining, uploadPhotos } from './support/harness.js';

// Errors Fastify raises before any route runs (routing, URL decoding, body parsing, the HTTP
// parser itself) answer like every other failure: application/problem+json with a stable code.

describe('errors raised by the framework before a route runs', () => {
  it('a malformed percent-encoding in the address: 400 request.invalid, with or without a token', async () => {
    const h = await harness();
    for (const headers of [{}, h.alice]) {
      for (const url of ['/v1/trainings/%zz', '/v1/trainings/%E0%A4%A/cancel', '/v1/uploads/%zz']) {
        const response = await h.app.inject({ method: url.endsWith('cancel') ? 'POST' : 'GET', url, headers });
        expectProblem(response, 400, 'request.invalid');
        expect(response.body).not.toContain('FST_');
      }
    }
  });

  it('an id too long for the router to read: 414 request.too_large, not a raw framework error', async () => {
    const h = await harness();
    for (const headers of [{}, h.alice]) {
      const response = await h.app.inject({ method: 'GET', url: `/v1/trainings/${'x'.repeat(20_000)}`, headers });
      expectProblem(response, 414, 'request.too_large');
      expect(response.body).not.toContain('FST_');
      expect(response.body).not.toContain('xxxx');
    }
  });

  // Mapped by the error handler already; kept here so every framework refusal is pinned in one place.
  it('a body that is empty, not JSON, of another type or too large: problems with their codes', async () => {
    const h = await harness();
    const post = (headers: Record<string, string>, payload: string) =>
      h.app.inject({ method: 'POST', url: '/v1/trainings', headers: { ...h.alice, ...headers }, payload });
    const cases: { status: number; code: string; headers: Record<string, string>; payload: string }[] = [
      { status: 400, code: 'request.invalid', headers: { 'content-type': 'application/json' }, payload: '' },
      { status: 400, code: 'request.invalid', headers: { 'content-type': 'application/json' }, payload: '{"triggerWord": ' },
      { status: 415, code: 'request.unsupported_media_type', headers: { 'content-type': 'application/xml' }, payload: '<a/>' },
      { status: 415, code: 'request.unsupported_media_type', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=b' },
      { status: 413, code: 'request.too_large', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ triggerWord: 'x'.repeat(70 * 1024) }) },
    ];
    for (const { status, code, headers, payload } of cases) {
      const response = await post(headers, payload);
      expectProblem(response, status, code);
      expect(response.body, JSON.stringify(headers)).not.toContain('FST_');
    }
    expect(h.core.db.snapshot().pipelines).toEqual([]);
  });
});

describe('an id the core cannot accept names nothing, whatever its length', () => {
  const admin = bearer(ADMIN_TOKEN);
  const ids = [encodeURIComponent('not an id'), 'x'.repeat(129), 'x'.repeat(201), 'x'.repeat(10_000)];

  it('answers the same not-found code for a short and a very long invalid id on every id route', async () => {
    const h = await harness();
    for (const id of ids) {
      const calls: [InjectOptions, number, string][] = [
        [{ method: 'GET', url: `/v1/trainings/${id}`, headers: h.alice }, 404, 'training.not_found'],
        [{ method: 'GET', url: `/v1/trainings/${id}/events`, headers: h.alice }, 404, 'training.not_found'],
        [{ method: 'POST', url: `/v1/trainings/${id}/cancel`, headers: h.alice }, 404, 'training.not_found'],
        [{ method: 'POST', url: `/v1/trainings/${id}/restart`, headers: h.alice }, 404, 'training.not_found'],
        [{ method: 'DELETE', url: `/v1/uploads/${id}`, headers: h.alice }, 404, 'upload.not_found'],
        [{ method: 'POST', url: `/v1/uploads/${id}/complete`, headers: h.alice }, 404, 'upload.not_found'],
        [{ method: 'POST', url: `/v1/admin/models/${id}/release`, headers: admin }, 404, 'model.not_found'],
        [{ method: 'POST', url: `/v1/admin/models/${id}/quarantine`, headers: admin, payload: { reason: 'stranger' } }, 404, 'model.not_found'],
      ];
      for (const [request, status, code] of calls) {
        const response = await h.app.inject(request);
        expect(response.statusCode, `${String(request.method)} ${JSON.stringify(request.url).slice(0, 60)} (${id.length})`).toBe(status);
        expectProblem(response, status, code);
      }
    }
  });

  it('an empty id at the end of the address: the same not-found code', async () => {
    const h = await harness();
    expectProblem(await h.app.inject({ method: 'GET', url: '/v1/trainings/', headers: h.alice }), 404, 'training.not_found');
    expectProblem(await h.app.inject({ method: 'DELETE', url: '/v1/uploads/', headers: h.alice }), 404, 'upload.not_found');
  });
});

describe('one input class, one code: the core judges lengths, not the request schema', () => {
  it('a trigger word just over the limit and a very long one: both 422 training.invalid_trigger_word', async () => {
    const h = await harness();
    await uploadPhotos(h, h.alice, [1, 2, 3]);
    for (const length of [33, 40, 257, 300, 5_000]) {
      const response = await startTraining(h, h.alice, { payload: { triggerWord: 'x'.repeat(length) } });
      expectProblem(response, 422, 'training.invalid_trigger_word');
      // The detail quotes the word, cut short: a long input is not echoed back whole.
      expect(json<{ detail: string }>(response).detail.length, String(length)).toBeLessThan(400);
    }
    expect(h.core.db.snapshot().pipelines).toEqual([]);
  });

  it('an Idempotency-Key just over the limit and a very long one: both 400 training.invalid_idempotency_key', async () => {
    const h = await harness();
    await uploadPhotos(h, h.alice, [1, 2, 3]);
    for (const length of [129, 200, 257, 300, 8_000]) {
      const response = await startTraining(h, h.alice, { headers: { 'idempotency-key': 'k'.repeat(length) } });
      expectProblem(response, 400, 'training.invalid_idempotency_key');
    }
    expect(h.core.db.snapshot().pipelines).toEqual([]);
  });
});

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Writes `request` as is to the server and reads until it closes the connection. */
function rawExchange(app: FastifyInstance, request: string): Promise<RawResponse> {
  const { port } = app.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    socket.write(request);
    socket.end();
  });
}

function expectRawProblem(response: RawResponse, status: number, code: string): void {
  expect(response.status, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body));
  const body = JSON.parse(response.body) as Record<string, unknown>;
  expect(body).toEqual({ type: `urn:selfie-lora:problem:${code}`, title: expect.any(String) as string, status, detail: expect.any(String) as string, code });
}

describe('errors of the HTTP parser itself, over a real socket', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function listening(): Promise<FastifyInstance> {
    const h = await harness();
    app = h.app;
    await app.listen({ host: '127.0.0.1', port: 0 });
    return app;
  }

  it('headers larger than the server reads: 431 request.too_large as a problem', async () => {
    const server = await listening();
    const response = await rawExchange(server, `GET /v1/uploads HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(20_000)}\r\n\r\n`);
    expectRawProblem(response, 431, 'request.too_large');
  });

  it('an address larger than the server reads: 431 request.too_large as a problem', async () => {
    const server = await listening();
    const response = await rawExchange(server, `GET /v1/trainings/${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expectRawProblem(response, 431, 'request.too_large');
  });

  it('bytes that are not HTTP: 400 request.invalid as a problem', async () => {
    const server = await listening();
    const response = await rawExchange(server, 'NOT HTTP AT ALL\r\n\r\n');
    expectRawProblem(response, 400, 'request.invalid');
  });
});
