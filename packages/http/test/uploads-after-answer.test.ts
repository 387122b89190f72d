import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { checkDueUploads } from '@selfie-lora/core';
import { jpeg } from './support/images.js';
import { expectProblem, harness, json, postPhoto, startTraining, type Harness } from './support/harness.js';

// The service's default (PHOTO_CHECKS_AFTER_ANSWER=on, issue 11 point 4): an upload is answered
// 202 once received; the worker's photo-checks job (here `checkDueUploads`, as the job calls it)
// stores or refuses it, and GET /v1/uploads shows which and why.

interface PendingJson {
  id: string;
  status: 'checking' | 'refused';
  byteSize: number;
  sourceSha256: string;
  refusal: { code: string; message: string } | null;
  receivedAt: string;
}

const setUp = () => harness({ config: { checkPhotosAfterAnswer: true } });

async function listed(h: Harness, auth = h.alice) {
  const response = await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: auth });
  expect(response.statusCode).toBe(200);
  return json<{ uploads: { id: string; status: string }[]; pending: PendingJson[] }>(response);
}

async function received(h: Harness, bytes: Uint8Array): Promise<PendingJson> {
  const response = await postPhoto(h, h.alice, bytes);
  expect(response.statusCode, response.body).toBe(202);
  return json<{ pending: PendingJson }>(response).pending;
}

const checkNow = async (h: Harness) => (await checkDueUploads(h.core.deps, { limit: 8 }))._unsafeUnwrap();

describe('photos judged after the answer, over HTTP', () => {
  it('answers 202 with the photo checking, lists it, and lists it stored under the same id once checked', async () => {
    const h = await setUp();
    const bytes = await jpeg(1, { width: 300, height: 300 });
    const pending = await received(h, bytes);
    expect(Object.keys(pending).sort()).toEqual(['byteSize', 'id', 'receivedAt', 'refusal', 'sourceSha256', 'status']);
    expect(pending).toMatchObject({ status: 'checking', byteSize: bytes.byteLength, refusal: null });
    expect(pending.sourceSha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await listed(h)).toEqual({ uploads: [], pending: [pending] });
    expect(await listed(h, h.bob)).toEqual({ uploads: [], pending: [] });

    // The same bytes again: 200 with the same photo, nothing new.
    const again = await postPhoto(h, h.alice, bytes);
    expect(again.statusCode).toBe(200);
    expect(json<{ pending: PendingJson }>(again).pending).toEqual(pending);

    await checkNow(h);
    const after = await listed(h);
    expect(after.pending).toEqual([]);
    expect(after.uploads).toMatchObject([{ id: pending.id, status: 'stored' }]);
    const sent = await postPhoto(h, h.alice, bytes);
    expect([sent.statusCode, json<{ upload: { id: string } }>(sent).upload.id]).toEqual([200, pending.id]);
  });

  it('a training waits with 409 while photos are checking; a photo checking cannot be deleted yet', async () => {
    const h = await setUp();
    const ids: string[] = [];
    for (let seed = 10; seed < 13; seed += 1) ids.push((await received(h, await jpeg(seed, { width: 300, height: 300 }))).id);
    expectProblem(await startTraining(h, h.alice), 409, 'training.photos_checking');
    expectProblem(await h.app.inject({ method: 'DELETE', url: `/v1/uploads/${ids[0]}`, headers: h.alice }), 409, 'upload.checking');
    await checkNow(h);
    expect((await startTraining(h, h.alice)).statusCode).toBe(202);
  });

  it('lists a refused photo with the reason a person reads, and forgets it when the owner deletes it (204)', async () => {
    const h = await setUp();
    const tooSmall = await received(h, await jpeg(20, { width: 100, height: 100 }));
    expect(await checkNow(h)).toMatchObject({ refused: 1 });
    const [refused] = (await listed(h)).pending;
    expect(refused).toMatchObject({ id: tooSmall.id, status: 'refused', refusal: { code: 'upload.too_small' } });
    expect(refused!.refusal!.message).toMatch(/too small/);
    expect(refused!.refusal!.message).not.toMatch(/_/);
    expectProblem(await h.app.inject({ method: 'DELETE', url: `/v1/uploads/${tooSmall.id}`, headers: h.bob }), 404, 'upload.not_found');
    const deleted = await h.app.inject({ method: 'DELETE', url: `/v1/uploads/${tooSmall.id}`, headers: h.alice });
    expect([deleted.statusCode, deleted.body]).toEqual([204, '']);
    expect(await listed(h)).toEqual({ uploads: [], pending: [] });
  });

  it('the direct way answers complete with 202 and the photo checking', async () => {
    const h = await setUp();
    const bytes = await jpeg(30, { width: 300, height: 300 });
    const slot = await h.app.inject({ method: 'POST', url: '/v1/uploads/presigned', headers: h.alice, payload: { byteSize: bytes.byteLength } });
    const { id, url } = json<{ upload: { id: string; url: string } }>(slot).upload;
    h.core.store.putSigned(url, bytes)._unsafeUnwrap();
    const completed = await h.app.inject({ method: 'POST', url: `/v1/uploads/${id}/complete`, headers: h.alice });
    expect(completed.statusCode, completed.body).toBe(202);
    expect(json<{ pending: PendingJson }>(completed).pending).toMatchObject({ id, status: 'checking' });
    await checkNow(h);
    const again = await h.app.inject({ method: 'POST', url: `/v1/uploads/${id}/complete`, headers: h.alice });
    expect([again.statusCode, json<{ upload: { id: string; status: string } }>(again).upload]).toEqual([200, expect.objectContaining({ id, status: 'stored' })]);
  });
});
