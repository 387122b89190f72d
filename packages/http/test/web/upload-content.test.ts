import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { UploadJson } from '../support/answer-shapes.js';
import { jpeg } from '../support/images.js';
import { expectProblem, harness, json, postPhoto, type Harness } from '../support/harness.js';

async function stored(h: Harness, seed: number): Promise<UploadJson> {
  const response = await postPhoto(h, h.alice, await jpeg(seed));
  expect(response.statusCode, response.body).toBe(201);
  return json<{ upload: UploadJson }>(response).upload;
}

const content = (h: Harness, id: string, auth: Record<string, string>) => h.app.inject({ method: 'GET', url: `/v1/uploads/${encodeURIComponent(id)}/content`, headers: auth });

describe('GET /v1/uploads/:id/content', () => {
  it("answers the owner's stored (normalised) bytes with their type, cached privately", async () => {
    const h = await harness();
    const upload = await stored(h, 1);
    const response = await content(h, upload.id, h.alice);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe(upload.contentType);
    expect(response.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.rawPayload.byteLength).toBe(upload.byteSize);
    expect(createHash('sha256').update(response.rawPayload).digest('hex')).toBe(upload.sha256);
  });

  it("is upload.not_found for another owner's photo, a deleted one, an unknown or malformed id", async () => {
    const h = await harness();
    const upload = await stored(h, 2);
    expectProblem(await content(h, upload.id, h.bob), 404, 'upload.not_found');
    expectProblem(await content(h, 'not an id', h.alice), 404, 'upload.not_found');
    expectProblem(await content(h, '0'.repeat(5000), h.alice), 404, 'upload.not_found');
    const deleted = await h.app.inject({ method: 'DELETE', url: `/v1/uploads/${upload.id}`, headers: h.alice });
    expect(deleted.statusCode, deleted.body).toBe(200);
    expectProblem(await content(h, upload.id, h.alice), 404, 'upload.not_found');
  });

  it('needs a token', async () => {
    const h = await harness();
    const upload = await stored(h, 3);
    expectProblem(await content(h, upload.id, {}), 401, 'auth.missing_token');
  });
});
