import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { ImageWorkQueue, SharpPhotoNormaliser } from '@selfie-lora/adapters';
import type { CoreDeps } from '@selfie-lora/core';
import { bombPng } from './support/bomb.js';
import type { UploadJson } from './support/answer-shapes.js';
import { jpeg } from './support/images.js';
import { multipart, photoForm } from './support/multipart.js';
import { expectProblem, harness, json, postPhoto, startTraining, storedState, uploadPhotos, type Harness } from './support/harness.js';

async function send(h: Harness, form: { payload: Buffer; headers: Record<string, string> }) {
  return h.app.inject({ method: 'POST', url: '/v1/uploads', headers: { ...h.alice, ...form.headers }, payload: form.payload });
}

describe('POST /v1/uploads', () => {
  it('stores a real JPEG and answers 201 with exactly the upload shape', async () => {
    const h = await harness();
    const bytes = await jpeg(1, { width: 300, height: 280 });
    const response = await postPhoto(h, h.alice, bytes);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const { upload } = json<{ upload: UploadJson }>(response);
    expect(Object.keys(upload).sort()).toEqual(['byteSize', 'checks', 'contentType', 'createdAt', 'height', 'id', 'sha256', 'sourceSha256', 'status', 'width']);
    expect(upload).toMatchObject({ status: 'stored', contentType: 'image/jpeg', width: 300, height: 280 });
    expect(upload.sourceSha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const stored = h.core.store.getBytes(h.core.store.keys()[0]!)!;
    expect([upload.byteSize, upload.sha256]).toEqual([stored.byteLength, createHash('sha256').update(stored).digest('hex')]);
    expect(upload.checks.map((check) => [check.name, check.outcome])).toEqual([
      ['face_found', 'passed'],
      ['one_face', 'passed'],
      ['face_size', 'passed'],
      ['sharpness', 'passed'],
    ]);
    expect(upload.createdAt).toBe(h.core.clock.now().toISOString());
    const [row] = h.core.db.snapshot().uploads;
    expect(row).toMatchObject({ id: upload.id, ownerId: 'alice', sha256: upload.sha256 });
    expect(h.core.store.keys()).toHaveLength(1);
  });

  it('answers 200 with the existing upload when the owner sends the same bytes again', async () => {
    const h = await harness();
    const bytes = await jpeg(2);
    const first = json<{ upload: UploadJson }>(await postPhoto(h, h.alice, bytes)).upload;
    const before = storedState(h.core);
    const again = await postPhoto(h, h.alice, bytes);
    expect(again.statusCode).toBe(200);
    expect(json<{ upload: UploadJson }>(again).upload).toEqual(first);
    expect(storedState(h.core)).toEqual(before);
  });

  it('keeps other form fields out of the way and still takes the one file', async () => {
    const h = await harness();
    const form = multipart([
      { name: 'caption', body: 'me at the beach' },
      { name: 'file', filename: 'x.jpg', contentType: 'image/jpeg', body: await jpeg(3) },
      { name: 'note', body: 'after the file' },
    ]);
    expect((await send(h, form)).statusCode).toBe(201);
  });

  describe('refuses bad uploads with their codes and stores nothing', () => {
    const cases: { name: string; status: number; code: string; form: () => Promise<{ payload: Buffer; headers: Record<string, string> }> }[] = [
      {
        name: 'wrong magic bytes (a text file called .jpg)',
        status: 415,
        code: 'upload.unsupported_type',
        form: () => Promise.resolve(photoForm(new TextEncoder().encode('this is plain text, not a photo at all '.repeat(20)))),
      },
      {
        name: 'a truncated JPEG',
        status: 422,
        code: 'upload.corrupt',
        form: async () => {
          const bytes = await jpeg(4, { noisy: true });
          return photoForm(bytes.subarray(0, Math.floor(bytes.byteLength / 2)));
        },
      },
      {
        // Issue 15.1: 100 megapixels declared in a few KiB, refused from the header before any decode.
        name: 'a decompression bomb (a small PNG declaring 9999 x 10000 pixels)',
        status: 422,
        code: 'upload.too_many_pixels',
        form: () => Promise.resolve(photoForm(bombPng(9999, 10000))),
      },
      { name: 'an empty file', status: 422, code: 'upload.corrupt', form: () => Promise.resolve(photoForm(new Uint8Array(0))) },
      { name: 'a photo below the minimum size', status: 422, code: 'upload.too_small', form: async () => photoForm(await jpeg(5, { width: 64, height: 64 })) },
      {
        name: 'a file larger than the limit',
        status: 413,
        code: 'upload.too_large',
        form: async () => photoForm(await jpeg(6, { width: 512, height: 512, noisy: true })),
      },
      {
        name: 'two files',
        status: 400,
        code: 'request.invalid',
        form: async () =>
          multipart([
            { name: 'file', filename: 'a.jpg', contentType: 'image/jpeg', body: await jpeg(7) },
            { name: 'file', filename: 'b.jpg', contentType: 'image/jpeg', body: await jpeg(8) },
          ]),
      },
      {
        name: 'a second file under another field name',
        status: 400,
        code: 'request.invalid',
        form: async () =>
          multipart([
            { name: 'file', filename: 'a.jpg', contentType: 'image/jpeg', body: await jpeg(9) },
            { name: 'extra', filename: 'b.jpg', contentType: 'image/jpeg', body: await jpeg(10) },
          ]),
      },
      { name: 'no file at all', status: 400, code: 'request.invalid', form: () => Promise.resolve(multipart([{ name: 'caption', body: 'hi' }])) },
      {
        name: 'the file in a field not called "file"',
        status: 400,
        code: 'request.invalid',
        form: async () => multipart([{ name: 'photo', filename: 'a.jpg', contentType: 'image/jpeg', body: await jpeg(11) }]),
      },
      {
        name: 'a multipart body cut off in the middle of the file',
        status: 400,
        code: 'request.invalid',
        form: async () => {
          const form = photoForm(await jpeg(12, { noisy: true }));
          return { headers: form.headers, payload: form.payload.subarray(0, Math.floor(form.payload.byteLength / 2)) };
        },
      },
    ];

    for (const testCase of cases) {
      it(`${testCase.name}: ${testCase.status} ${testCase.code}`, async () => {
        const h = await harness({ config: { uploadPolicy: { maxBytes: 64 * 1024, minWidth: 256, minHeight: 256 } } });
        await uploadPhotos(h, h.alice, [100]);
        const before = storedState(h.core);
        const response = await send(h, await testCase.form());
        expectProblem(response, testCase.status, testCase.code);
        expect(storedState(h.core)).toEqual(before);
      });
    }

    it('a JSON body instead of a form: 415 request.unsupported_media_type', async () => {
      const h = await harness();
      const response = await h.app.inject({ method: 'POST', url: '/v1/uploads', headers: h.alice, payload: { file: 'abc' } });
      expectProblem(response, 415, 'request.unsupported_media_type');
      expect(storedState(h.core).objects).toEqual({});
    });
  });

  it('refuses an oversized file before any image work (the core stops reading at the limit)', async () => {
    const maxBytes = 32 * 1024;
    let normalised = 0;
    // Counts what reaches the image work: an oversized body must be refused before it.
    const counting = (deps: CoreDeps): CoreDeps => ({
      ...deps,
      photos: {
        normalise: (bytes) => {
          normalised += 1;
          return deps.photos.normalise(bytes);
        },
      },
    });
    const h = await harness({ config: { uploadPolicy: { maxBytes, minWidth: 256, minHeight: 256 } }, deps: (core) => counting(core.deps) });
    const big = await jpeg(13, { width: 1024, height: 1024, noisy: true });
    expect(big.byteLength).toBeGreaterThan(maxBytes * 8);
    const response = await postPhoto(h, h.alice, big);
    expectProblem(response, 413, 'upload.too_large');
    expect(normalised).toBe(0);
    expect(storedState(h.core).objects).toEqual({});
    expect((await postPhoto(h, h.alice, await jpeg(13))).statusCode).toBe(201);
    expect(normalised).toBe(1);
  });

  it('answers 503 upload.busy with Retry-After while the bounded image line is full, and stores nothing', async () => {
    const queue = new ImageWorkQueue({ concurrency: 1, maxWaiting: 0 });
    const h = await harness({ deps: (core) => ({ ...core.deps, photos: new SharpPhotoNormaliser({ queue }) }) });
    let release!: () => void;
    const holding = queue.run(() => new Promise<void>((resolve) => (release = resolve)));
    const response = await postPhoto(h, h.alice, await jpeg(15));
    expectProblem(response, 503, 'upload.busy');
    expect(response.headers['retry-after']).toBe('2');
    expect(storedState(h.core).objects).toEqual({});
    release();
    await holding;
    expect((await postPhoto(h, h.alice, await jpeg(15))).statusCode).toBe(201);
  });

  it('refuses an unauthenticated upload before storing anything', async () => {
    const h = await harness();
    const form = photoForm(await jpeg(14));
    const response = await h.app.inject({ method: 'POST', url: '/v1/uploads', headers: form.headers, payload: form.payload });
    expectProblem(response, 401, 'auth.missing_token');
    expect(storedState(h.core)).toEqual({ rows: { uploads: [], pendingUploads: [], pipelines: [], models: [] }, objects: {} });
  });
});

describe('GET /v1/uploads', () => {
  it("lists the owner's stored uploads only", async () => {
    const h = await harness();
    const mine = await uploadPhotos(h, h.alice, [1, 2]);
    await uploadPhotos(h, h.bob, [3]);
    const response = await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: h.alice });
    expect(response.statusCode).toBe(200);
    const { uploads } = json<{ uploads: UploadJson[] }>(response);
    expect(uploads.map((u) => u.id)).toEqual(mine);
    expect(uploads.every((u) => u.status === 'stored')).toBe(true);
  });
});

describe('DELETE /v1/uploads/:id', () => {
  it('answers 200 with the deleted upload, erases its bytes and keeps its row as provenance', async () => {
    const h = await harness();
    const [id] = await uploadPhotos(h, h.alice, [1]);
    const response = await h.app.inject({ method: 'DELETE', url: `/v1/uploads/${id}`, headers: h.alice });
    expect(response.statusCode, response.body).toBe(200);
    const body = json<{ upload: UploadJson; canceledTraining: unknown }>(response);
    expect(body.upload).toMatchObject({ id, status: 'deleted' });
    expect(body.canceledTraining).toBeNull();
    expect(h.core.store.keys()).toEqual([]);
    expect(h.core.db.snapshot().uploads).toMatchObject([{ id, status: 'deleted' }]);
    const list = await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: h.alice });
    expect(json<{ uploads: unknown[] }>(list).uploads).toEqual([]);
  });

  it('cancels the active training that used the photo and says so', async () => {
    const h = await harness();
    const [id] = await uploadPhotos(h, h.alice, [1, 2, 3]);
    const started = json<{ training: { id: string } }>(await startTraining(h, h.alice)).training;
    const response = await h.app.inject({ method: 'DELETE', url: `/v1/uploads/${id}`, headers: h.alice });
    expect(response.statusCode).toBe(200);
    const { canceledTraining } = json<{ canceledTraining: { id: string; status: string; failure: { code: string; message: string } } }>(response);
    expect(canceledTraining).toMatchObject({ id: started.id, status: 'canceled', failure: { code: 'training.canceled_upload_deleted' } });
    expect(canceledTraining.failure.message).toMatch(/deleted/);
  });

  it('answers 404 upload.not_found for an unknown or malformed id', async () => {
    const h = await harness();
    expectProblem(await h.app.inject({ method: 'DELETE', url: '/v1/uploads/nope', headers: h.alice }), 404, 'upload.not_found');
    expectProblem(await h.app.inject({ method: 'DELETE', url: '/v1/uploads/%20bad%20id', headers: h.alice }), 404, 'upload.not_found');
  });
});
