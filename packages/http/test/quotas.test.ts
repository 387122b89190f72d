import { describe, expect, it } from 'vitest';
import { defaultQuotaPolicy, type QuotaPolicy } from '@selfie-lora/core';
import { expectProblem, harness, json, postPhoto, startTraining, storedState, uploadPhotos } from './support/harness.js';
import { jpeg } from './support/images.js';

// Per-owner quotas (issue 15, point 2): what costs money or space is refused with 429, a
// Retry-After and a stable code, and the refused request changes nothing.

const quotas = (overrides: Partial<QuotaPolicy>) => ({ config: { quotas: { ...defaultQuotaPolicy, ...overrides } } });
const DAY_S = 24 * 3600;

describe('per-owner quotas', () => {
  it('trainings per day: a start-cancel-restart loop is refused with 429 until the oldest leaves the 24 h window', async () => {
    const h = await harness(quotas({ trainingsPerDay: 2 }));
    await uploadPhotos(h, h.alice, [1, 2, 3]);
    const first = json<{ training: { id: string } }>(await startTraining(h, h.alice)).training.id;
    await h.app.inject({ method: 'POST', url: `/v1/trainings/${first}/cancel`, headers: h.alice });
    h.core.clock.advance(3600_000);
    const second = await h.app.inject({ method: 'POST', url: `/v1/trainings/${first}/restart`, headers: h.alice });
    expect(second.statusCode, second.body).toBe(202);
    const secondId = json<{ training: { id: string } }>(second).training.id;
    await h.app.inject({ method: 'POST', url: `/v1/trainings/${secondId}/cancel`, headers: h.alice });

    const before = storedState(h.core);
    const refused = await h.app.inject({ method: 'POST', url: `/v1/trainings/${secondId}/restart`, headers: h.alice });
    expectProblem(refused, 429, 'quota.trainings_per_day');
    // The first training leaves the window 23 h from now.
    expect(refused.headers['retry-after']).toBe(String(DAY_S - 3600));
    expectProblem(await startTraining(h, h.alice), 429, 'quota.trainings_per_day');
    expect(storedState(h.core)).toEqual(before);

    // Bob is not held back by alice's quota.
    await uploadPhotos(h, h.bob, [4, 5, 6]);
    expect((await startTraining(h, h.bob)).statusCode).toBe(202);

    h.core.clock.advance((DAY_S - 3600) * 1000 + 1000);
    expect((await startTraining(h, h.alice)).statusCode).toBe(202);
  });

  it('stored photos: the photo past the limit is 429 and not stored; deleting one makes room', async () => {
    const h = await harness(quotas({ maxStoredPhotos: 2 }));
    const [one] = await uploadPhotos(h, h.alice, [1, 2]);
    const before = storedState(h.core);
    const refused = await postPhoto(h, h.alice, await jpeg(3));
    expectProblem(refused, 429, 'quota.stored_photos');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(storedState(h.core)).toEqual(before);
    // A duplicate of a stored photo is not a new photo: still answered.
    expect((await postPhoto(h, h.alice, await jpeg(2))).statusCode).toBe(200);
    await h.app.inject({ method: 'DELETE', url: `/v1/uploads/${one}`, headers: h.alice });
    expect((await postPhoto(h, h.alice, await jpeg(3))).statusCode).toBe(201);
  });

  it('stored bytes: a presigned slot that would pass the limit is refused before anything is signed', async () => {
    const h = await harness(quotas({ maxStoredBytes: 1024 * 1024 }));
    const fits = await h.app.inject({ method: 'POST', url: '/v1/uploads/presigned', headers: h.alice, payload: { byteSize: 1000 } });
    expect(fits.statusCode, fits.body).toBe(201);
    const refused = await h.app.inject({ method: 'POST', url: '/v1/uploads/presigned', headers: h.alice, payload: { byteSize: 1024 * 1024 + 1 } });
    expectProblem(refused, 429, 'quota.stored_bytes');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('open upload slots: past the limit 429 with Retry-After until the soonest expires; that one expiring makes room', async () => {
    const h = await harness(quotas({ maxOpenSlots: 2 }));
    const slot = () => h.app.inject({ method: 'POST', url: '/v1/uploads/presigned', headers: h.alice, payload: { byteSize: 1000 } });
    expect((await slot()).statusCode).toBe(201);
    h.core.clock.advance(120_000);
    expect((await slot()).statusCode).toBe(201);
    const refused = await slot();
    expectProblem(refused, 429, 'quota.open_slots');
    expect(refused.headers['retry-after']).toBe(String(15 * 60 - 120));
    expect((await h.app.inject({ method: 'POST', url: '/v1/uploads/presigned', headers: h.bob, payload: { byteSize: 1000 } })).statusCode).toBe(201);
    h.core.clock.advance((15 * 60 - 120) * 1000);
    expect((await slot()).statusCode).toBe(201);
  });

  it('stored bytes: a multipart photo that would pass the limit is 429 and not stored', async () => {
    const photo = await jpeg(1);
    const h = await harness(quotas({ maxStoredBytes: photo.byteLength + 10 }));
    await uploadPhotos(h, h.alice, [1]);
    const before = storedState(h.core);
    expectProblem(await postPhoto(h, h.alice, await jpeg(2)), 429, 'quota.stored_bytes');
    expect(storedState(h.core)).toEqual(before);
  });
});

describe('HTTP rate limit', () => {
  it('answers 429 rate_limit.exceeded with Retry-After past the budget of an address', async () => {
    const h = await harness({ app: { rateLimit: { max: 3, windowMs: 60_000 } } });
    for (let i = 0; i < 3; i += 1) expect((await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: h.alice })).statusCode).toBe(200);
    const limited = await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: h.alice });
    expectProblem(limited, 429, 'rate_limit.exceeded');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another address has its own budget.
    const elsewhere = await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: h.alice, remoteAddress: '10.0.0.9' });
    expect(elsewhere.statusCode).toBe(200);
  });
});
