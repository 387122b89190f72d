import { describe, expect, it, vi } from 'vitest';
import { OwnerId, stagingKey, UploadId, uploadKey } from '@selfie-lora/core';
import type { UploadJson } from './support/answer-shapes.js';
import { jpeg } from './support/images.js';
import { expectProblem, harness, json, postPhoto, storedState, type Harness } from './support/harness.js';

interface SlotJson {
  id: string;
  url: string;
  method: string;
  expiresAt: string;
  byteSize: number;
  maxBytes: number;
}

const owner = (id: string) => OwnerId.parse(id)._unsafeUnwrap();
const uploadId = (id: string) => UploadId.parse(id)._unsafeUnwrap();

/** POST /v1/uploads/presigned with `body` as JSON (a string is sent as it is; undefined sends none). */
async function presign(h: Harness, auth: Record<string, string>, body?: unknown, headers: Record<string, string> = {}) {
  if (body === undefined) return h.app.inject({ method: 'POST', url: '/v1/uploads/presigned', headers: { ...auth, ...headers } });
  return h.app.inject({
    method: 'POST',
    url: '/v1/uploads/presigned',
    headers: { ...auth, 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A slot for `bytes` (or a photo of that many bytes): its size is declared up front. */
async function slot(h: Harness, auth: Record<string, string>, bytes: Uint8Array | number): Promise<SlotJson> {
  const byteSize = typeof bytes === 'number' ? bytes : bytes.byteLength;
  const response = await presign(h, auth, { byteSize });
  expect(response.statusCode, response.body).toBe(201);
  return json<{ upload: SlotJson }>(response).upload;
}

/** The client's PUT straight to storage (the memory store checks the signed URL). */
function put(h: Harness, target: SlotJson, bytes: Uint8Array): void {
  h.core.store.putSigned(target.url, bytes)._unsafeUnwrap();
}

async function complete(h: Harness, auth: Record<string, string>, id: string) {
  return h.app.inject({ method: 'POST', url: `/v1/uploads/${encodeURIComponent(id)}/complete`, headers: auth });
}

describe('POST /v1/uploads/presigned', () => {
  it('answers 201 with exactly the slot shape: a PUT URL signed for the declared size, valid for 15 minutes, and stores nothing', async () => {
    const h = await harness();
    const before = storedState(h.core);
    const response = await presign(h, h.alice, { byteSize: 123_456 });
    expect(response.statusCode, response.body).toBe(201);
    const { upload } = json<{ upload: SlotJson }>(response);
    expect(Object.keys(upload).sort()).toEqual(['byteSize', 'expiresAt', 'id', 'maxBytes', 'method', 'url']);
    expect(upload.method).toBe('PUT');
    expect(upload.byteSize).toBe(123_456);
    expect(upload.maxBytes).toBe(h.core.deps.config.uploadPolicy.maxBytes);
    expect(Date.parse(upload.expiresAt) - h.core.clock.now().getTime()).toBe(15 * 60 * 1000);
    expect(decodeURIComponent(upload.url)).toContain(stagingKey(owner('alice'), uploadId(upload.id)));
    expect(storedState(h.core)).toEqual(before);
  });

  it('signs the URL for exactly the declared size: a PUT of any other length is refused', async () => {
    const h = await harness();
    const bytes = await jpeg(30);
    const target = await slot(h, h.alice, bytes);
    expect(h.core.store.putSigned(target.url, Uint8Array.of(...bytes, 0))._unsafeUnwrapErr()).toBe('wrong_length');
    expect(h.core.store.putSigned(target.url, bytes.subarray(1))._unsafeUnwrapErr()).toBe('wrong_length');
    expect(h.core.store.keys()).toEqual([]);
    put(h, target, bytes);
    expect((await complete(h, h.alice, target.id)).statusCode).toBe(201);
  });

  it('accepts a declared size of exactly maxBytes, and answers 413 upload.too_large one byte over, signing nothing', async () => {
    const h = await harness({ config: { uploadPolicy: { maxBytes: 32 * 1024, minWidth: 256, minHeight: 256 } } });
    expect((await slot(h, h.alice, 32 * 1024)).byteSize).toBe(32 * 1024);
    const before = storedState(h.core);
    const sign = vi.spyOn(h.core.store, 'signedPutUrl');
    // One byte over, and what a single S3 PUT would otherwise take (5 GB).
    for (const byteSize of [32 * 1024 + 1, 5 * 1024 ** 3]) {
      const response = await presign(h, h.alice, { byteSize });
      expectProblem(response, 413, 'upload.too_large');
      expect(json(response)).not.toHaveProperty('upload');
    }
    expect(sign).not.toHaveBeenCalled();
    expect(storedState(h.core)).toEqual(before);
  });

  it('answers 400 request.invalid without a body or with a byteSize that is not a positive safe integer, signing nothing', async () => {
    const h = await harness();
    const sign = vi.spyOn(h.core.store, 'signedPutUrl');
    const refusals: { body: unknown; headers?: Record<string, string> }[] = [
      { body: undefined },
      { body: '' },
      { body: '{"byteSize": ' },
      { body: 'null' },
      { body: {} },
      { body: { byteSize: 0 } },
      { body: { byteSize: -1 } },
      { body: { byteSize: 1.5 } },
      { body: { byteSize: '1234' } },
      { body: { byteSize: null } },
      { body: { byteSize: 2 ** 53 } },
      { body: '{"byteSize": 1e400}' },
      // A misspelt or extra field is refused rather than ignored, as on the other JSON routes.
      { body: { byteSize: 1234, contentType: 'image/jpeg' } },
      { body: { bytesize: 1234 } },
      { body: 'byteSize=1234', headers: { 'content-type': 'text/plain' } },
    ];
    for (const { body, headers } of refusals) {
      const response = await presign(h, h.alice, body, headers);
      expect(response.statusCode, `${JSON.stringify(body)}: ${response.body}`).toBe(400);
      expectProblem(response, 400, 'request.invalid');
    }
    expect(sign).not.toHaveBeenCalled();
    expect(h.core.store.keys()).toEqual([]);
  });

  it('refuses an unauthenticated request', async () => {
    const h = await harness();
    expectProblem(await presign(h, {}, { byteSize: 1234 }), 401, 'auth.missing_token');
    expectProblem(await presign(h, {}), 401, 'auth.missing_token');
  });
});

describe('POST /v1/uploads/:id/complete', () => {
  it('answers 201 with the upload judged from the PUT bytes, then 200 with the same upload when repeated', async () => {
    const h = await harness();
    const bytes = await jpeg(31, { width: 300, height: 280 });
    const target = await slot(h, h.alice, bytes);
    put(h, target, bytes);

    const response = await complete(h, h.alice, target.id);
    expect(response.statusCode, response.body).toBe(201);
    const { upload } = json<{ upload: UploadJson }>(response);
    expect(upload).toMatchObject({ id: target.id, status: 'stored', contentType: 'image/jpeg', byteSize: bytes.byteLength, width: 300, height: 280 });
    expect(h.core.store.keys()).toEqual([uploadKey(owner('alice'), uploadId(target.id))]);

    const listed = json<{ uploads: UploadJson[] }>(await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: h.alice })).uploads;
    expect(listed).toEqual([upload]);

    const again = await complete(h, h.alice, target.id);
    expect(again.statusCode).toBe(200);
    expect(json<{ upload: UploadJson }>(again).upload).toEqual(upload);
  });

  it('answers 200 with the existing upload when the bytes were already uploaded through the form', async () => {
    const h = await harness();
    const bytes = await jpeg(32);
    const existing = json<{ upload: UploadJson }>(await postPhoto(h, h.alice, bytes)).upload;
    const before = storedState(h.core);
    const target = await slot(h, h.alice, bytes);
    put(h, target, bytes);
    const response = await complete(h, h.alice, target.id);
    expect(response.statusCode).toBe(200);
    expect(json<{ upload: UploadJson }>(response).upload).toEqual(existing);
    expect(storedState(h.core)).toEqual(before);
  });

  it('answers 404 upload.not_found, telling the person to upload first, when nothing was PUT', async () => {
    const h = await harness();
    const target = await slot(h, h.alice, 1234);
    const response = await complete(h, h.alice, target.id);
    expectProblem(response, 404, 'upload.not_found');
    expect(json<{ detail: string }>(response).detail).toMatch(/upload the file/i);
  });

  describe('refuses what was PUT with the multipart route codes, keeping nothing', () => {
    const cases: { name: string; status: number; code: string; bytes: () => Promise<Uint8Array> }[] = [
      { name: 'a text file', status: 415, code: 'upload.unsupported_type', bytes: () => Promise.resolve(new TextEncoder().encode('not a photo '.repeat(100))) },
      { name: 'a truncated JPEG', status: 422, code: 'upload.corrupt', bytes: async () => (await jpeg(33, { noisy: true })).slice(0, 2000) },
      { name: 'a photo below the minimum size', status: 422, code: 'upload.too_small', bytes: () => jpeg(34, { width: 64, height: 64 }) },
    ];
    for (const testCase of cases) {
      it(`${testCase.name}: ${testCase.status} ${testCase.code}`, async () => {
        const h = await harness();
        const before = storedState(h.core);
        const bytes = await testCase.bytes();
        const target = await slot(h, h.alice, bytes);
        put(h, target, bytes);
        expectProblem(await complete(h, h.alice, target.id), testCase.status, testCase.code);
        expect(storedState(h.core)).toEqual(before);
      });
    }

    it('an object over the limit, staged past the signed length: 413 upload.too_large', async () => {
      const h = await harness({ config: { uploadPolicy: { maxBytes: 32 * 1024, minWidth: 256, minHeight: 256 } } });
      const before = storedState(h.core);
      const target = await slot(h, h.alice, 32 * 1024);
      expect(target.maxBytes).toBe(32 * 1024);
      const big = await jpeg(35, { width: 512, height: 512, noisy: true });
      expect(big.byteLength).toBeGreaterThan(32 * 1024);
      // Staged as a store that checks no signature (s3rver) would take it: the declared size is
      // recorded nowhere, so completion judges the bytes against the limit itself.
      h.core.store.setBytes(stagingKey(owner('alice'), uploadId(target.id)), big);
      expectProblem(await complete(h, h.alice, target.id), 413, 'upload.too_large');
      expect(storedState(h.core)).toEqual(before);
    });
  });

  it("answers 404 to another owner completing or probing alice's id, before and after she completes it", async () => {
    const h = await harness();
    const bytes = await jpeg(36);
    const target = await slot(h, h.alice, bytes);
    put(h, target, bytes);
    const staged = storedState(h.core);
    expectProblem(await complete(h, h.bob, target.id), 404, 'upload.not_found');
    expect(storedState(h.core)).toEqual(staged);

    expect((await complete(h, h.alice, target.id)).statusCode).toBe(201);
    const done = storedState(h.core);
    expectProblem(await complete(h, h.bob, target.id), 404, 'upload.not_found');
    expect(storedState(h.core)).toEqual(done);
    expect(json<{ uploads: unknown[] }>(await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: h.bob })).uploads).toEqual([]);
  });

  it('answers 404 for an id that cannot be one, and 401 without a token', async () => {
    const h = await harness();
    expectProblem(await complete(h, h.alice, '..%2F..%2Fsecret'), 404, 'upload.not_found');
    const bytes = await jpeg(37);
    const target = await slot(h, h.alice, bytes);
    put(h, target, bytes);
    expectProblem(await complete(h, {}, target.id), 401, 'auth.missing_token');
    expect(h.core.db.snapshot().uploads).toEqual([]);
  });
});
