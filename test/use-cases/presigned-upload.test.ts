import { describe, expect, it, vi } from 'vitest';
import type { MemoryCore } from '@selfie-lora/adapters/memory';
import {
  completeUpload,
  createUploadSlot,
  defaultQuotaPolicy,
  defaultUploadPolicy,
  listUploads,
  stagingKey,
  uploadKey,
  UPLOAD_SLOT_TTL_SECONDS,
  type OwnerId,
  type UploadSlot,
} from '@selfie-lora/core';
import { photo, sha256Of } from '@selfie-lora/testkit/photos';
import { alice, bob, errorCode, expectUnchanged, memoryCore, storedState } from '../support/memory-core-fixtures.js';
import { overtakenBeforeRead, putLandsAfterRead } from '../support/racing-store.js';


/** A slot for a photo of `byteSize` bytes (the client declares the size up front). */
async function slotFor(core: MemoryCore, byteSize: number, ownerId: OwnerId = alice): Promise<UploadSlot> {
  return (await createUploadSlot(core.deps, { ownerId, byteSize }))._unsafeUnwrap();
}

/** PUTs through the signed URL as a client would; the memory store checks the signature. */
function putThrough(core: MemoryCore, slot: UploadSlot, bytes: Uint8Array): void {
  core.store.putSigned(slot.url, bytes)._unsafeUnwrap();
}

function complete(core: MemoryCore, uploadId: string, ownerId: OwnerId = alice) {
  return completeUpload(core.deps, { ownerId, uploadId });
}

describe('createUploadSlot', () => {
  it('gives a new id and a 15-minute signed PUT URL for the owner-scoped staging key, recording no upload', async () => {
    const core = memoryCore();
    const before = storedState(core);
    const slot = await slotFor(core, 1234);
    const other = await slotFor(core, 1234);
    expect(other.uploadId).not.toBe(slot.uploadId);
    expect(slot).toMatchObject({ method: 'PUT', byteSize: 1234, maxBytes: defaultUploadPolicy.maxBytes });
    expect(UPLOAD_SLOT_TTL_SECONDS).toBe(15 * 60);
    expect(slot.expiresAt.getTime() - core.clock.now().getTime()).toBe(15 * 60 * 1000);
    expect(decodeURIComponent(slot.url)).toContain(stagingKey(alice, slot.uploadId));
    expect(slot.url).not.toContain('alice');
    expectUnchanged(core, before);
  });

  it('signs the URL for exactly the declared length: the store refuses a body of any other length', async () => {
    const core = memoryCore();
    const sign = vi.spyOn(core.store, 'signedPutUrl');
    const slot = await slotFor(core, 1000);
    expect(sign).toHaveBeenCalledWith(stagingKey(alice, slot.uploadId), UPLOAD_SLOT_TTL_SECONDS, { contentLength: 1000 });
    expect(core.store.putSigned(slot.url, new Uint8Array(1001))._unsafeUnwrapErr()).toBe('wrong_length');
    expect(core.store.putSigned(slot.url, new Uint8Array(999))._unsafeUnwrapErr()).toBe('wrong_length');
    expect(core.store.keys()).toEqual([]);
    expect(core.store.putSigned(slot.url, new Uint8Array(1000)).isOk()).toBe(true);
  });

  it('accepts a declared size of exactly maxBytes', async () => {
    const core = memoryCore({ uploadPolicy: { ...defaultUploadPolicy, maxBytes: 5000 } });
    expect((await slotFor(core, 5000)).byteSize).toBe(5000);
  });

  it.each<[string, number, string]>([
    ['one byte over maxBytes', 5001, 'upload.too_large'],
    ['far over maxBytes (S3 would take 5 GB in one PUT)', 5 * 1024 ** 3, 'upload.too_large'],
    ['an empty file', 0, 'upload.corrupt'],
    ['a negative size', -1, 'upload.corrupt'],
    ['a fractional size', 1.5, 'upload.corrupt'],
    ['no number at all', Number.NaN, 'upload.corrupt'],
  ])('refuses a declared size that is %s (%s) with %s, signing nothing and recording nothing', async (_, byteSize, code) => {
    const core = memoryCore({ uploadPolicy: { ...defaultUploadPolicy, maxBytes: 5000 } });
    const before = storedState(core);
    const sign = vi.spyOn(core.store, 'signedPutUrl');
    expect(errorCode(await createUploadSlot(core.deps, { ownerId: alice, byteSize }))).toBe(code);
    expect(sign).not.toHaveBeenCalled();
    expectUnchanged(core, before);
  });

  it('counts open slots against the owner quota: refused at the limit with Retry-After until the soonest expires; completing, a refusal or expiry frees one', async () => {
    const core = memoryCore({ quotas: { ...defaultQuotaPolicy, maxOpenSlots: 3 } });
    const bytes = await photo(51, { format: 'png', width: 320, height: 300 });
    const first = await slotFor(core, bytes.byteLength);
    core.clock.advance(60_000);
    const second = await slotFor(core, 4);
    await slotFor(core, 1234);
    const before = storedState(core);
    const sign = vi.spyOn(core.store, 'signedPutUrl');
    const refused = await createUploadSlot(core.deps, { ownerId: alice, byteSize: 1234 });
    expect(refused._unsafeUnwrapErr()).toMatchObject({ code: 'quota.open_slots', retryAfterSeconds: UPLOAD_SLOT_TTL_SECONDS - 60 });
    expect(sign).not.toHaveBeenCalled();
    expectUnchanged(core, before);
    // Another owner has quota of their own.
    await slotFor(core, 1234, bob);

    // A completed upload frees its slot.
    putThrough(core, first, bytes);
    (await complete(core, first.uploadId))._unsafeUnwrap();
    const fourth = await slotFor(core, 1234);
    expect(errorCode(await createUploadSlot(core.deps, { ownerId: alice, byteSize: 1234 }))).toBe('quota.open_slots');

    // A refused one too (4 bytes are no photo), but not one whose bytes never arrived.
    expect(errorCode(await complete(core, fourth.uploadId))).toBe('upload.not_found');
    expect(errorCode(await createUploadSlot(core.deps, { ownerId: alice, byteSize: 1234 }))).toBe('quota.open_slots');
    putThrough(core, second, new Uint8Array([1, 2, 3, 4]));
    expect(errorCode(await complete(core, second.uploadId))).toBe('upload.unsupported_type');
    await slotFor(core, 1234);

    // Expired slots no longer count.
    expect(errorCode(await createUploadSlot(core.deps, { ownerId: alice, byteSize: 1234 }))).toBe('quota.open_slots');
    core.clock.advance(UPLOAD_SLOT_TTL_SECONDS * 1000);
    await slotFor(core, 1234);
  });

  it('refuses a slot to an owner whose stored photos already fill the quota, signing nothing', async () => {
    const core = memoryCore({ quotas: { ...defaultQuotaPolicy, maxStoredPhotos: 1 } });
    const bytes = await photo(55);
    const slot = await slotFor(core, bytes.byteLength);
    putThrough(core, slot, bytes);
    (await complete(core, slot.uploadId))._unsafeUnwrap();
    const sign = vi.spyOn(core.store, 'signedPutUrl');
    expect(errorCode(await createUploadSlot(core.deps, { ownerId: alice, byteSize: 1234 }))).toBe('quota.stored_photos');
    expect(sign).not.toHaveBeenCalled();
  });

  it('a storage fault while signing answers storage.unavailable', async () => {
    const core = memoryCore();
    core.store.faults.failNext('sign');
    expect(errorCode(await createUploadSlot(core.deps, { ownerId: alice, byteSize: 1234 }))).toBe('storage.unavailable');
  });
});

describe('completeUpload: accepted', () => {
  it('stores the PUT bytes under the final key with the facts of the bytes, and removes the staging object', async () => {
    const core = memoryCore();
    const bytes = await photo(41, { format: 'png', width: 320, height: 300 });
    const slot = await slotFor(core, bytes.byteLength);
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
      sourceSha256: sha256Of(bytes),
    });
    expect(core.store.keys()).toEqual([uploadKey(alice, slot.uploadId)]);
    const stored = core.store.getBytes(uploadKey(alice, slot.uploadId))!;
    expect([completed.upload.byteSize, completed.upload.sha256]).toEqual([stored.byteLength, sha256Of(stored)]);
    expect(core.db.snapshot().uploads).toEqual([completed.upload]);
  });

  it('completing twice returns the same upload and changes nothing the second time', async () => {
    const core = memoryCore();
    const bytes = await photo(42);
    const slot = await slotFor(core, bytes.byteLength);
    putThrough(core, slot, bytes);
    const first = (await complete(core, slot.uploadId))._unsafeUnwrap();
    const before = storedState(core);
    const again = (await complete(core, slot.uploadId))._unsafeUnwrap();
    expect(again).toEqual({ upload: first.upload, duplicate: true });
    expectUnchanged(core, before);
  });

  it('bytes PUT again through a used URL do not replace a completed upload', async () => {
    const core = memoryCore();
    const original = await photo(43);
    const slot = await slotFor(core, original.byteLength);
    putThrough(core, slot, original);
    const first = (await complete(core, slot.uploadId))._unsafeUnwrap();
    // Other bytes of the signed length (the URL takes no other length).
    const other = Uint8Array.from(original);
    other[other.byteLength - 10] = other[other.byteLength - 10]! ^ 0xff;
    putThrough(core, slot, other);
    expect((await complete(core, slot.uploadId))._unsafeUnwrap()).toEqual({ upload: first.upload, duplicate: true });
    expect(first.upload.sourceSha256).toBe(sha256Of(original));
    expect(sha256Of(core.store.getBytes(uploadKey(alice, slot.uploadId))!)).toBe(first.upload.sha256);
  });

  it('two completes of the same id racing make one upload and keep its bytes', async () => {
    const core = memoryCore();
    const bytes = await photo(45);
    const slot = await slotFor(core, bytes.byteLength);
    putThrough(core, slot, bytes);
    const results = (await Promise.all([complete(core, slot.uploadId), complete(core, slot.uploadId)])).map((r) => r._unsafeUnwrap());
    expect(results.map((r) => r.upload.id)).toEqual([slot.uploadId, slot.uploadId]);
    expect(core.db.snapshot().uploads).toHaveLength(1);
    expect(core.store.keys()).toEqual([uploadKey(alice, slot.uploadId)]);
    expect(results[0]!.upload.sourceSha256).toBe(sha256Of(bytes));
    expect(sha256Of(core.store.getBytes(uploadKey(alice, slot.uploadId))!)).toBe(results[0]!.upload.sha256);
  });

  it('bytes the owner already stored return the existing upload, and the staging object is deleted', async () => {
    const core = memoryCore();
    const bytes = await photo(46);
    const firstSlot = await slotFor(core, bytes.byteLength);
    putThrough(core, firstSlot, bytes);
    const first = (await complete(core, firstSlot.uploadId))._unsafeUnwrap();
    const before = storedState(core);

    const slot = await slotFor(core, bytes.byteLength);
    putThrough(core, slot, bytes);
    const again = (await complete(core, slot.uploadId))._unsafeUnwrap();
    expect(again).toEqual({ upload: first.upload, duplicate: true });
    expectUnchanged(core, before);
  });
});

describe('completeUpload: refused', () => {
  it('without a PUT answers upload.not_found, telling the person to upload first', async () => {
    const core = memoryCore();
    const slot = await slotFor(core, 1234);
    const error = (await complete(core, slot.uploadId))._unsafeUnwrapErr();
    expect(error.code).toBe('upload.not_found');
    expect(error.message).toMatch(/upload the file/i);
    expect(error.detail).toBe(`nothing at ${stagingKey(alice, slot.uploadId)}`);
    expect(storedState(core)).toEqual({ rows: { uploads: [], pendingUploads: [], pipelines: [], models: [] }, objects: {} });
  });

  it('answers upload.not_found for an id that is not one', async () => {
    expect((await complete(memoryCore(), '../uploads/x'))._unsafeUnwrapErr()).toMatchObject({ code: 'upload.not_found', detail: 'malformed upload id' });
  });

  const refusals: { name: string; code: string; bytes: () => Promise<Uint8Array>; maxBytes?: number }[] = [
    { name: 'a text file', code: 'upload.unsupported_type', bytes: () => Promise.resolve(new TextEncoder().encode('not a photo, honest\n'.repeat(40))) },
    {
      name: 'a truncated JPEG',
      code: 'upload.corrupt',
      bytes: async () => (await photo(51, { width: 512, height: 512 })).slice(0, 600),
    },
    { name: 'a photo below the minimum size', code: 'upload.too_small', bytes: () => photo(52, { width: 100, height: 100 }) },
  ];

  it.each(refusals)('refuses $name with $code: no row, no final object, staging deleted', async ({ code, bytes }) => {
    const core = memoryCore();
    const before = storedState(core);
    const body = await bytes();
    const slot = await slotFor(core, body.byteLength);
    putThrough(core, slot, body);
    expect(errorCode(await complete(core, slot.uploadId))).toBe(code);
    expectUnchanged(core, before);
  });

  // A store that does not check the signed length (s3rver) takes any body; the declared size is
  // recorded nowhere, so completion judges the staged bytes themselves.
  it('refuses an object over the size limit staged past the signed length, and deletes it', async () => {
    const bytes = await photo(53);
    const core = memoryCore({ uploadPolicy: { ...defaultUploadPolicy, maxBytes: bytes.byteLength - 1 } });
    const before = storedState(core);
    const slot = await slotFor(core, bytes.byteLength - 1);
    // The memory store enforces the signed length, so stage the object as s3rver would take it.
    expect(core.store.putSigned(slot.url, bytes)._unsafeUnwrapErr()).toBe('wrong_length');
    core.store.setBytes(stagingKey(alice, slot.uploadId), bytes);
    expect(errorCode(await complete(core, slot.uploadId))).toBe('upload.too_large');
    expectUnchanged(core, before);
  });

  it('refuses an empty object staged past the signed length with upload.corrupt, and deletes it', async () => {
    const core = memoryCore();
    const before = storedState(core);
    const slot = await slotFor(core, 1234);
    expect(core.store.putSigned(slot.url, new Uint8Array(0))._unsafeUnwrapErr()).toBe('wrong_length');
    core.store.setBytes(stagingKey(alice, slot.uploadId), new Uint8Array(0));
    expect(errorCode(await complete(core, slot.uploadId))).toBe('upload.corrupt');
    expectUnchanged(core, before);
  });

  it('a storage fault keeps the staging object, so completing again succeeds without a new PUT', async () => {
    const core = memoryCore();
    const bytes = await photo(54);
    const slot = await slotFor(core, bytes.byteLength);
    putThrough(core, slot, bytes);
    core.store.faults.failNext('read');
    expect(errorCode(await complete(core, slot.uploadId))).toBe('storage.unavailable');
    expect(core.store.keys()).toEqual([stagingKey(alice, slot.uploadId)]);
    expect((await complete(core, slot.uploadId))._unsafeUnwrap().duplicate).toBe(false);
  });
});

describe('completeUpload: requests that overlap', () => {
  async function openSlots(core: MemoryCore): Promise<readonly Date[]> {
    return (await core.deps.uow.transaction((repos) => repos.uploadSlots.listOpenExpiries(alice, core.clock.now())))._unsafeUnwrap();
  }

  it('completing while the PUT is in flight answers upload.not_found, deletes nothing and keeps the slot, so the PUT can be completed', async () => {
    const core = memoryCore();
    const bytes = await photo(63);
    const slot = await slotFor(core, bytes.byteLength);
    const early = await completeUpload({ ...core.deps, objects: putLandsAfterRead(core, slot.url, bytes) }, { ownerId: alice, uploadId: slot.uploadId });
    expect(errorCode(early)).toBe('upload.not_found');
    expect(core.store.keys()).toEqual([stagingKey(alice, slot.uploadId)]);
    expect(await openSlots(core)).toHaveLength(1);
    expect((await complete(core, slot.uploadId))._unsafeUnwrap()).toMatchObject({ duplicate: false, upload: { id: slot.uploadId } });
    expect(await openSlots(core)).toEqual([]);
  });

  it('a complete overtaken by another of the same id answers the upload the other recorded', async () => {
    const core = memoryCore();
    const bytes = await photo(64);
    const slot = await slotFor(core, bytes.byteLength);
    putThrough(core, slot, bytes);
    let first: Awaited<ReturnType<typeof complete>> | null = null;
    const overtaken = overtakenBeforeRead(core, async () => {
      first = await complete(core, slot.uploadId);
    });
    const second = (await completeUpload({ ...core.deps, objects: overtaken }, { ownerId: alice, uploadId: slot.uploadId }))._unsafeUnwrap();
    expect(second).toEqual({ upload: first!._unsafeUnwrap().upload, duplicate: true });
    expect(core.store.keys()).toEqual([uploadKey(alice, slot.uploadId)]);
  });
});

describe('completeUpload: owners stay apart', () => {
  it("another owner cannot complete alice's slot nor see the upload, before or after she completes it", async () => {
    const core = memoryCore();
    const bytes = await photo(61);
    const slot = await slotFor(core, bytes.byteLength, alice);
    putThrough(core, slot, bytes);
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
    const bytes = await photo(62);
    const slot = await slotFor(core, bytes.byteLength, bob);
    putThrough(core, slot, bytes);
    expect(core.store.keys()).toEqual([stagingKey(bob, slot.uploadId)]);
    expect(errorCode(await complete(core, slot.uploadId, alice))).toBe('upload.not_found');
    expect((await complete(core, slot.uploadId, bob))._unsafeUnwrap().upload.ownerId).toBe(bob);
  });
});

describe('the memory store refuses a bad signed PUT URL and stores nothing', () => {
  it('an expired URL', async () => {
    const core = memoryCore();
    const bytes = await photo(71);
    const slot = await slotFor(core, bytes.byteLength);
    core.clock.advance((UPLOAD_SLOT_TTL_SECONDS + 1) * 1000);
    expect(core.store.putSigned(slot.url, bytes)._unsafeUnwrapErr()).toBe('expired');
    expect(core.store.keys()).toEqual([]);
  });

  it('a URL still valid at its last second', async () => {
    const core = memoryCore();
    const bytes = await photo(72);
    const slot = await slotFor(core, bytes.byteLength);
    core.clock.advance(UPLOAD_SLOT_TTL_SECONDS * 1000);
    expect(core.store.putSigned(slot.url, bytes).isOk()).toBe(true);
  });

  it.each<[string, (url: string, slot: UploadSlot) => string]>([
    ['another key', (url, slot) => url.replace(encodeURIComponent(stagingKey(alice, slot.uploadId)), encodeURIComponent(stagingKey(bob, slot.uploadId)))],
    ['a later expiry', (url) => url.replace(/expires=(\d+)/, (_, e: string) => `expires=${Number(e) + 3600}`)],
    ['a larger length', (url) => url.replace(/length=(\d+)/, (_, n: string) => `length=${Number(n) * 2}`)],
    ['a changed signature', (url) => url.replace(/signature=([0-9a-f])/, (_, c: string) => `signature=${c === '0' ? '1' : '0'}`)],
  ])('a URL tampered to %s', async (_, tamper) => {
    const core = memoryCore();
    const slot = await slotFor(core, 5000);
    const tampered = tamper(slot.url, slot);
    expect(tampered).not.toBe(slot.url);
    // A body of the length the (tampered) URL names: only the signature can refuse it.
    const length = Number(/length=(\d+)/.exec(tampered)?.[1]);
    expect(core.store.putSigned(tampered, new Uint8Array(length))._unsafeUnwrapErr()).toBe('bad_signature');
    expect(core.store.keys()).toEqual([]);
  });

  it('a GET URL cannot be used to PUT, nor a PUT URL to GET', async () => {
    const core = memoryCore();
    const bytes = await photo(74);
    const slot = await slotFor(core, bytes.byteLength);
    const key = stagingKey(alice, slot.uploadId);
    const getUrl = (await core.store.signedGetUrl(key, 900))._unsafeUnwrap();
    expect(core.store.putSigned(getUrl, bytes).isErr()).toBe(true);
    putThrough(core, slot, bytes);
    expect(core.store.fetchSigned(slot.url).isErr()).toBe(true);
  });
});
