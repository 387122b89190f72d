import { describe, expect, it } from 'vitest';
import { ownerRef, OwnerId } from '@selfie-lora/core';
import { harness, json, uploadPhotos } from './support/harness.js';

// DELETE /v1/me: the shell only authenticates, calls eraseOwner and maps its report.

describe('DELETE /v1/me', () => {
  it("erases the caller's photos and reports it, 202; the other owner keeps theirs", async () => {
    const h = await harness();
    await uploadPhotos(h, h.alice, [1, 2]);
    await uploadPhotos(h, h.bob, [3]);
    const response = await h.app.inject({ method: 'DELETE', url: '/v1/me', headers: h.alice });
    expect(response.statusCode).toBe(202);
    const report = json<{ uploadsDeleted: number; erasures: { kind: string; state: string }[] }>(response);
    expect(report.uploadsDeleted).toBe(2);
    expect(report.erasures.every((e) => e.state === 'done')).toBe(true);
    expect(report.erasures.map((e) => e.kind)).toEqual(['objects', 'objects', 'objects', 'trainer_model']);
    const owners = h.core.store.keys().map((key) => key.split('/')[1]);
    expect(owners).toEqual([ownerRef(OwnerId.parse('bob')._unsafeUnwrap())]);
    const listed = await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: h.alice });
    expect(json<{ uploads: unknown[] }>(listed).uploads).toEqual([]);
  });

  it('answers 401 without a token and erases nothing', async () => {
    const h = await harness();
    await uploadPhotos(h, h.alice, [1]);
    const response = await h.app.inject({ method: 'DELETE', url: '/v1/me' });
    expect(response.statusCode).toBe(401);
    expect(h.core.store.keys()).toHaveLength(1);
  });
});

describe('GET /v1/me/export', () => {
  it("answers the caller's data as a JSON attachment, and nothing of another owner's", async () => {
    const h = await harness();
    const aliceUploads = await uploadPhotos(h, h.alice, [1, 2]);
    const bobUploads = await uploadPhotos(h, h.bob, [3]);
    const deleted = await h.app.inject({ method: 'DELETE', url: `/v1/uploads/${aliceUploads[0]}`, headers: h.alice });
    expect(deleted.statusCode).toBeLessThan(300);

    const response = await h.app.inject({ method: 'GET', url: '/v1/me/export', headers: h.alice });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-disposition']).toBe('attachment; filename="selfie-lora-export.json"');
    const data = json<{
      ownerId: string;
      uploads: { id: string; status: string; sha256: string; checks: unknown[]; deletedAt: string | null }[];
      trainings: unknown[];
      models: unknown[];
      erasures: { kind: string; reason: string; state: string; target: string }[];
    }>(response);
    expect(data.ownerId).toBe('alice');
    expect(data.uploads.map((u) => [u.id, u.status]).sort()).toEqual([
      [aliceUploads[0], 'deleted'],
      [aliceUploads[1], 'stored'],
    ].sort());
    expect(data.uploads.every((u) => /^[0-9a-f]{64}$/.test(u.sha256) && Array.isArray(u.checks))).toBe(true);
    expect(data.erasures).toMatchObject([{ kind: 'object', reason: 'upload_deleted', state: 'done' }]);
    expect(response.body).not.toContain(bobUploads[0]);
    expect(response.body).not.toContain('"bob"');
  });

  it('answers 401 without a token', async () => {
    const h = await harness();
    const response = await h.app.inject({ method: 'GET', url: '/v1/me/export' });
    expect(response.statusCode).toBe(401);
  });
});
