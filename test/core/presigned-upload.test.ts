import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { MemoryCore } from '@selfie-lora/adapters';
import {
  completeUpload,
  createUploadSlot,
  defaultUploadPolicy,
  listUploads,
  stagingKey,
  uploadKey,
  UPLOAD_SLOT_TTL_SECONDS,
  type OwnerId,
  type UploadSlot,
} from '@selfie-lora/core';
import { photo } from '../support/images.js';
import { alice, bob, errorCode, expectUnchanged, memoryCore, storedState } from '../support/memory-core-fixtures.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function slotFor(core: MemoryCore, ownerId: OwnerId = alice): Promise<UploadSlot> {
  return (await createUploadSlot(core.deps, { ownerId }))._unsafeUnwrap();
}

/** PUTs through the signed URL as a client would; the memory store checks the signature. */
function putThrough(core: MemoryCore, slot: UploadSlot, bytes: Uint8Array): void {
  core.store.putSigned(slot.url, bytes)._unsafeUnwrap();
}

function complete(core: MemoryCore, uploadId: string, ownerId: OwnerId = alice) {
  return completeUpload(core.deps, { ownerId, uploadId });
}

describe('createUploadSlot', () => {
  it('gives a new id and a 15-minute signed PUT URL for the owner-scoped staging key, recording nothing', async () => {
    const core = memoryCore();
    const before = storedState(core);
    const slot = await slotFor(core);
    const other = await slotFor(core);
    expect(other.uploadId).not.toBe(slot.uploadId);
    expect(slot).toMatchObject({ method: 'PUT', maxBytes: defaultUploadPolicy.maxBytes });
    expect(UPLOAD_SLOT_TTL_SECONDS).toBe(15 * 60);
    expect(slot.expiresAt.getTime() - core.clock.now().getTime()).toBe(15 * 60 * 1000);
    expect(decodeURIComponent(slot.url)).toContain(stagingKey(alice, slot.uploadId));
    expect(slot.url).not.toContain('alice');
    expectUnchanged(core, before);
  });

  it('a storage fault while signing answers storage.unavailable', async () => {
    const core = memoryCore();
    core.store.faults.failNext('sign');
    expect(errorCode(await createUploadSlot(core.deps, { ownerId: alice }))).toBe('storage.unavailable');
  });
});

describe('completeUpload: accepted', () => {
  it('stores the PUT bytes under the final key with the facts of the bytes, and removes the staging object', async () => {
    const core = memoryCore();
    const bytes = await photo(41, { format: 'png', width: 320, height: 300 });
    const slot = await slotFor(core);
    putThrough(core, slot, bytes);
    expect(core.store.keys()).toEqual([stagingKey(alice, slot.uploadId)]);

    const completed = (await complete(core, slot.uploadId))._unsafeUnwrap();
    expect(completed.duplicate).toBe(false);
    expect(completed.upload).toMatchObject({
      id: slot.uploadId,
      ownerId: alice,
      status: 'stored',
      contentType: 'image/png',
      width: 320,
      height: 300,
      byteSize: bytes.byteLength,
      sha256: sha256(bytes),
    });
    expect(core.store.keys()).toEqual([uploadKey(alice, slot.uploadId)]);
    expect(sha256(core.store.getBytes(uploadKey(alice, slot.uploadId))!)).toBe(sha256(bytes));
    expect(core.db.snapshot().uploads).toEqual([completed.upload]);
  });

  it('completing twice returns the same upload and changes nothing the second time', async () => {
    const core = memoryCore();
    const slot = await slotFor(core);
    putThrough(core, slot, await photo(42));
    const first = (await complete(core, slot.uploadId))._unsafeUnwrap();
    const before = storedState(core);
    const again = (await complete(core, slot.uploadId))._unsafeUnwrap();
    expect(again).toEqual({ upload: first.upload, duplicate: true });
    expectUnchanged(core, before);
  });

  it('bytes PUT again through a used URL do not replace a completed upload', async () => {
    const core = memoryCore();
    const slot = await slotFor(core);
    const original = await photo(43);
    putThrough(core, slot, original);
    const first = (await complete(core, slot.uploadId))._unsafeUnwrap();
    putThrough(core, slot, await photo(44));
    expect((await complete(core, slot.uploadId))._unsafeUnwrap()).toEqual({ upload: first.upload, duplicate: true });
    expect(sha256(core.store.getBytes(uploadKey(alice, slot.uploadId))!)).toBe(sha256(original));
  });

  it('two completes of the same id racing make one upload and keep its bytes', async () => {
    const core = memoryCore();
    const bytes = await photo(45);
    const slot = await slotFor(core);
    putThrough(core, slot, bytes);
    const results = (await Promise.all([complete(core, slot.uploadId), complete(core, slot.uploadId)])).map((r) => r._unsafeUnwrap());
    expect(results.map((r) => r.upload.id)).toEqual([slot.uploadId, slot.uploadId]);
    expect(core.db.snapshot().uploads).toHaveLength(1);
    expect(core.store.keys()).toEqual([uploadKey(alice, slot.uploadId)]);
    expect(sha256(core.store.getBytes(uploadKey(alice, slot.uploadId))!)).toBe(sha256(bytes));
  });

  it('bytes the owner already stored return the existing upload, and the staging object is deleted', async () => {
    const core = memoryCore();
    const bytes = await photo(46);
    const firstSlot = await slotFor(core);
    putThrough(core, firstSlot, bytes);
    const first = (await complete(core, firstSlot.uploadId))._unsafeUnwrap();
    const before = storedState(core);

    const slot = await slotFor(core);
    putThrough(core, slot, bytes);
    const again = (await complete(core, slot.uploadId))._unsafeUnwrap();
    expect(again).toEqual({ upload: first.upload, duplicate: true });
    expectUnchanged(core, before);
  });
});

describe('completeUpload: refused', () => {
  it('without a PUT answers upload.not_found, telling the person to upload first', async () => {
    const core = memoryCore();
    const slot = await slotFor(core);
    const error = (await complete(core, slot.uploadId))._unsafeUnwrapErr();
    expect(error.code).toBe('upload.not_found');
    expect(error.message).toMatch(/upload the file/i);
    expect(storedState(core)).toEqual({ rows: { uploads: [], pipelines: [], models: [] }, objects: {} });
  });

  it('answers upload.not_found for an id that is not one', async () => {
    expect(errorCode(await complete(memoryCore(), '../uploads/x'))).toBe('upload.not_found');
  });

  const refusals: { name: string; code: string; bytes: () => Promise<Uint8Array>; maxBytes?: number }[] = [
    { name: 'a text file', code: 'upload.unsupported_type', bytes: () => Promise.resolve(new TextEncoder().encode('not a photo, honest\n'.repeat(40))) },
    {
      name: 'a truncated JPEG',
      code: 'upload.corrupt',
      bytes: async () => (await photo(51, { width: 512, height: 512 })).slice(0, 600),
    },
    { name: 'an empty object', code: 'upload.corrupt', bytes: () => Promise.resolve(new Uint8Array(0)) },
    { name: 'a photo below the minimum size', code: 'upload.too_small', bytes: () => photo(52, { width: 100, height: 100 }) },
  ];

  it.each(refusals)('refuses $name with $code: no row, no final object, staging deleted', async ({ code, bytes }) => {
    const core = memoryCore();
    const before = storedState(core);
    const slot = await slotFor(core);
    putThrough(core, slot, await bytes());
    expect(errorCode(await complete(core, slot.uploadId))).toBe(code);
    expectUnchanged(core, before);
  });

  it('refuses an object over the size limit (a signed PUT cannot always cap it) and deletes it', async () => {
    const bytes = await photo(53);
    const core = memoryCore({ uploadPolicy: { ...defaultUploadPolicy, maxBytes: bytes.byteLength - 1 } });
    const before = storedState(core);
    const slot = await slotFor(core);
    // The memory store enforces the signed limit, so stage the object as S3 would have taken it.
    expect(core.store.putSigned(slot.url, bytes)._unsafeUnwrapErr()).toBe('too_large');
    core.store.setBytes(stagingKey(alice, slot.uploadId), bytes);
    expect(errorCode(await complete(core, slot.uploadId))).toBe('upload.too_large');
    expectUnchanged(core, before);
  });

  it('a storage fault keeps the staging object, so completing again succeeds without a new PUT', async () => {
    const core = memoryCore();
    const slot = await slotFor(core);
    putThrough(core, slot, await photo(54));
    core.store.faults.failNext('read');
    expect(errorCode(await complete(core, slot.uploadId))).toBe('storage.unavailable');
    expect(core.store.keys()).toEqual([stagingKey(alice, slot.uploadId)]);
    expect((await complete(core, slot.uploadId))._unsafeUnwrap().duplicate).toBe(false);
  });
});

describe('completeUpload: owners stay apart', () => {
  it("another owner cannot complete alice's slot nor see the upload, before or after she completes it", async () => {
    const core = memoryCore();
    const slot = await slotFor(core, alice);
    putThrough(core, slot, await photo(61));
    const staged = storedState(core);
    expect(errorCode(await complete(core, slot.uploadId, bob))).toBe('upload.not_found');
    expectUnchanged(core, staged);

    (await complete(core, slot.uploadId, alice))._unsafeUnwrap();
    const done = storedState(core);
    expect(errorCode(await complete(core, slot.uploadId, bob))).toBe('upload.not_found');
    expect((await listUploads(core.deps, bob))._unsafeUnwrap()).toEqual([]);
    expectUnchanged(core, done);
  });

  it("a slot's URL only writes under its own owner's staging key", async () => {
    const core = memoryCore();
    const slot = await slotFor(core, bob);
    putThrough(core, slot, await photo(62));
    expect(core.store.keys()).toEqual([stagingKey(bob, slot.uploadId)]);
    expect(errorCode(await complete(core, slot.uploadId, alice))).toBe('upload.not_found');
    expect((await complete(core, slot.uploadId, bob))._unsafeUnwrap().upload.ownerId).toBe(bob);
  });
});

describe('the memory store refuses a bad signed PUT URL and stores nothing', () => {
  it('an expired URL', async () => {
    const core = memoryCore();
    const slot = await slotFor(core);
    core.clock.advance((UPLOAD_SLOT_TTL_SECONDS + 1) * 1000);
    expect(core.store.putSigned(slot.url, await photo(71))._unsafeUnwrapErr()).toBe('expired');
    expect(core.store.keys()).toEqual([]);
  });

  it('a URL still valid at its last second', async () => {
    const core = memoryCore();
    const slot = await slotFor(core);
    core.clock.advance(UPLOAD_SLOT_TTL_SECONDS * 1000);
    expect(core.store.putSigned(slot.url, await photo(72)).isOk()).toBe(true);
  });

  it.each<[string, (url: string, slot: UploadSlot) => string]>([
    ['another key', (url, slot) => url.replace(encodeURIComponent(stagingKey(alice, slot.uploadId)), encodeURIComponent(stagingKey(bob, slot.uploadId)))],
    ['a later expiry', (url) => url.replace(/expires=(\d+)/, (_, e: string) => `expires=${Number(e) + 3600}`)],
    ['a larger size limit', (url) => url.replace(/max=(\d+)/, (_, m: string) => `max=${Number(m) * 2}`)],
    ['a changed signature', (url) => url.replace(/signature=([0-9a-f])/, (_, c: string) => `signature=${c === '0' ? '1' : '0'}`)],
  ])('a URL tampered to %s', async (_, tamper) => {
    const core = memoryCore();
    const slot = await slotFor(core);
    const tampered = tamper(slot.url, slot);
    expect(tampered).not.toBe(slot.url);
    expect(core.store.putSigned(tampered, await photo(73))._unsafeUnwrapErr()).toBe('bad_signature');
    expect(core.store.keys()).toEqual([]);
  });

  it('a GET URL cannot be used to PUT, nor a PUT URL to GET', async () => {
    const core = memoryCore();
    const slot = await slotFor(core);
    const key = stagingKey(alice, slot.uploadId);
    const getUrl = (await core.store.signedGetUrl(key, 900))._unsafeUnwrap();
    expect(core.store.putSigned(getUrl, await photo(74)).isErr()).toBe(true);
    putThrough(core, slot, await photo(74));
    expect(core.store.fetchSigned(slot.url).isErr()).toBe(true);
  });
});
