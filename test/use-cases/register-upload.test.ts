import { errAsync } from 'neverthrow';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { defaultQuotaPolicy, defaultUploadPolicy, ownerRef, registerUpload, transientError, uploadKey, type OwnerId } from '@selfie-lora/core';
import { createMemoryCore, FakeFaceInspector, type MemoryCore } from '@selfie-lora/adapters/memory';
import { photo, type PhotoFormat, sha256Of, streamOf, withJpegComment } from '@selfie-lora/testkit/photos';
import { alice, bob, errorCode, expectUnchanged, memoryCore, storedState } from '../support/memory-core-fixtures.js';
import { withRepositories } from '../support/rewritten-repositories.js';


function register(core: MemoryCore, bytes: Uint8Array, ownerId: OwnerId = alice) {
  return registerUpload(core.deps, { ownerId, body: streamOf(bytes) });
}

/** A refusal must answer `code` (and `detail`, for the operator, when given) and leave no object and no row behind. */
async function expectRefused(core: MemoryCore, bytes: Uint8Array, code: string, detail?: string) {
  const before = storedState(core);
  const refused = await register(core, bytes);
  expect(errorCode(refused)).toBe(code);
  if (detail !== undefined) expect(refused._unsafeUnwrapErr().detail).toBe(detail);
  expectUnchanged(core, before);
}

async function gif(): Promise<Uint8Array> {
  const image = sharp({ create: { width: 300, height: 300, channels: 3, background: { r: 10, g: 20, b: 30 } } });
  return new Uint8Array(await image.gif().toBuffer());
}

describe('registerUpload: accepted photos', () => {
  it.each<[PhotoFormat, string]>([
    ['jpeg', 'image/jpeg'],
    ['png', 'image/png'],
    ['webp', 'image/jpeg'],
  ])('stores a %s normalised (as %s), recording the hashes of the bytes sent and of the bytes stored', async (format, contentType) => {
    const core = memoryCore();
    const bytes = await photo(7, { format, width: 320, height: 280 });
    const registered = (await register(core, bytes))._unsafeUnwrap();
    expect(registered.duplicate).toBe(false);
    const key = uploadKey(alice, registered.upload.id);
    expect(core.store.keys()).toEqual([key]);
    const stored = core.store.getBytes(key)!;
    expect(registered.upload).toMatchObject({
      ownerId: alice,
      status: 'stored',
      contentType,
      width: 320,
      height: 280,
      byteSize: stored.byteLength,
      sha256: sha256Of(stored),
      sourceSha256: sha256Of(bytes),
    });
    expect((await sharp(stored).metadata()).format).toBe(contentType === 'image/png' ? 'png' : 'jpeg');
    expect(core.db.snapshot().uploads).toEqual([registered.upload]);
  });

  it('accepts a photo of exactly the maximum size and exactly the minimum dimensions', async () => {
    const bytes = await photo(3, { width: 256, height: 256 });
    const core = memoryCore({ uploadPolicy: { ...defaultUploadPolicy, maxBytes: bytes.byteLength } });
    const registered = (await register(core, bytes))._unsafeUnwrap();
    expect(registered.upload.sourceSha256).toBe(sha256Of(bytes));
    expect(core.db.snapshot().uploads).toHaveLength(1);
  });

  it('takes no more of the body than the size limit and one byte', async () => {
    const bytes = await photo(5, { width: 1024, height: 1024, format: 'png' });
    const maxBytes = 1024;
    expect(bytes.byteLength).toBeGreaterThan(maxBytes * 4);
    let pulled = 0;
    async function* counted() {
      for await (const chunk of streamOf(bytes, 1024)) {
        pulled += chunk.byteLength;
        yield chunk;
      }
    }
    const core = memoryCore({ uploadPolicy: { ...defaultUploadPolicy, maxBytes } });
    expect(errorCode(await registerUpload(core.deps, { ownerId: alice, body: counted() }))).toBe('upload.too_large');
    expect(pulled).toBeLessThanOrEqual(maxBytes + 1024);
    expect(pulled).toBeLessThan(bytes.byteLength);
  });

  it('derives the storage key from the owner reference and upload id only', async () => {
    const core = memoryCore();
    const upload = (await register(core, await photo(1)))._unsafeUnwrap().upload;
    const [key] = core.store.keys();
    expect(key).toBe(`uploads/${ownerRef(alice)}/${upload.id}`);
    // The raw owner id is not exposed in storage either.
    expect(key).not.toContain('alice');
  });
});

describe('registerUpload: how the body arrives', () => {
  it('a photo sent in many small chunks is stored as the same photo as one sent whole', async () => {
    const bytes = await photo(8, { format: 'png', width: 320, height: 280 });
    expect(bytes.byteLength).toBeGreaterThan(4 * 256);
    const whole = (await register(memoryCore(), bytes))._unsafeUnwrap().upload;
    const chunked = (await registerUpload(memoryCore().deps, { ownerId: alice, body: streamOf(bytes, 256) }))._unsafeUnwrap().upload;
    expect([chunked.sourceSha256, chunked.sha256, chunked.byteSize]).toEqual([sha256Of(bytes), whole.sha256, whole.byteSize]);
  });
});

describe('registerUpload: refused bytes leave nothing behind', () => {
  it('refuses a text file whatever it is called', async () => {
    const core = memoryCore();
    await expectRefused(core, new TextEncoder().encode('holiday.jpg: definitely a photo\n'.repeat(50)), 'upload.unsupported_type');
  });

  it('refuses a real GIF image (not an allowed type)', async () => {
    await expectRefused(memoryCore(), await gif(), 'upload.unsupported_type');
  });

  it('refuses bytes that only start like a JPEG', async () => {
    const fake = new Uint8Array(4096).fill(0x41);
    fake.set([0xff, 0xd8, 0xff, 0xe0]);
    await expectRefused(memoryCore(), fake, 'upload.corrupt');
  });

  it.each<PhotoFormat>(['jpeg', 'png'])('refuses a truncated %s', async (format) => {
    const bytes = await photo(11, { format, width: 512, height: 512 });
    await expectRefused(memoryCore(), bytes.slice(0, Math.floor(bytes.byteLength / 2)), 'upload.corrupt');
  });

  it('refuses an empty body', async () => {
    await expectRefused(memoryCore(), new Uint8Array(0), 'upload.corrupt', 'empty file');
  });

  it('refuses a photo one byte over the maximum size', async () => {
    const bytes = await photo(4);
    const core = memoryCore({ uploadPolicy: { ...defaultUploadPolicy, maxBytes: bytes.byteLength - 1 } });
    await expectRefused(core, bytes, 'upload.too_large', `more than ${bytes.byteLength - 1} bytes`);
  });

  it.each([
    [255, 256],
    [256, 255],
    [64, 64],
  ])('refuses a %ix%i photo as too small', async (width, height) => {
    await expectRefused(memoryCore(), await photo(9, { width, height }), 'upload.too_small');
  });

  it('a refusal does not disturb photos stored before it', async () => {
    const core = memoryCore();
    (await register(core, await photo(1)))._unsafeUnwrap();
    (await register(core, await photo(2), bob))._unsafeUnwrap();
    await expectRefused(core, await gif(), 'upload.unsupported_type');
    expect(core.store.keys()).toHaveLength(2);
  });
});

describe('registerUpload: duplicates', () => {
  it('returns the existing upload for identical bytes and keeps one object', async () => {
    const core = memoryCore();
    const bytes = await photo(21);
    const first = (await register(core, bytes))._unsafeUnwrap();
    const before = storedState(core);
    const second = (await register(core, bytes))._unsafeUnwrap();
    expect(second).toEqual({ upload: first.upload, duplicate: true });
    expectUnchanged(core, before);
  });

  it('two identical uploads racing still make one upload and one object', async () => {
    const core = memoryCore();
    const bytes = await photo(22);
    const [a, b] = await Promise.all([register(core, bytes), register(core, bytes)]);
    const results = [a._unsafeUnwrap(), b._unsafeUnwrap()];
    expect(results.map((r) => r.duplicate).sort()).toEqual([false, true]);
    expect(results[0]!.upload.id).toBe(results[1]!.upload.id);
    expect(core.store.keys()).toEqual([uploadKey(alice, results[0]!.upload.id)]);
    expect(core.db.snapshot().uploads).toHaveLength(1);
  });

  it('the same bytes from two owners are two separate uploads', async () => {
    const core = memoryCore();
    const bytes = await photo(23);
    const mine = (await register(core, bytes, alice))._unsafeUnwrap();
    const theirs = (await register(core, bytes, bob))._unsafeUnwrap();
    expect(theirs.duplicate).toBe(false);
    expect(theirs.upload.id).not.toBe(mine.upload.id);
    expect(theirs.upload.ownerId).toBe(bob);
    expect(core.store.keys().sort()).toEqual([uploadKey(alice, mine.upload.id), uploadKey(bob, theirs.upload.id)].sort());
  });
});

describe('registerUpload: storage trouble', () => {
  it.each(['put'] as const)('a %s fault answers storage.unavailable and stores nothing', async (op) => {
    const core = memoryCore();
    (await register(core, await photo(30)))._unsafeUnwrap();
    core.store.faults.failNext(op);
    await expectRefused(core, await photo(31), 'storage.unavailable');
    // The fault was transient: the same photo is accepted next time.
    expect((await register(core, await photo(31)))._unsafeUnwrap().duplicate).toBe(false);
  });

  it('a body that breaks off mid-stream stores nothing', async () => {
    const core = memoryCore();
    const bytes = await photo(32, { width: 1024, height: 1024, format: 'png' });
    async function* broken() {
      yield* streamOf(bytes.slice(0, 20_000), 4096);
      throw new Error('connection reset');
    }
    const before = storedState(core);
    expect((await registerUpload(core.deps, { ownerId: alice, body: broken() }))._unsafeUnwrapErr()).toMatchObject({
      code: 'storage.unavailable',
      detail: 'read failed: Error: connection reset',
    });
    expectUnchanged(core, before);
  });
});

describe('registerUpload: the same photo in other bytes', () => {
  it('answers the photo already stored, without judging the same bytes again', async () => {
    const faces = new FakeFaceInspector();
    const core = createMemoryCore({ faces });
    const bytes = await photo(24);
    const first = (await register(core, bytes))._unsafeUnwrap();
    expect(faces.inspected).toBe(1);
    expect((await register(core, bytes))._unsafeUnwrap()).toEqual({ upload: first.upload, duplicate: true });
    expect(faces.inspected).toBe(1);
  });

  it('the same picture with other metadata is the photo already stored, and its copy is removed', async () => {
    const core = memoryCore();
    const bytes = await photo(25);
    const first = (await register(core, bytes))._unsafeUnwrap();
    const before = storedState(core);
    const variant = withJpegComment(bytes, 'taken on holiday');
    expect(sha256Of(variant)).not.toBe(sha256Of(bytes));
    expect((await register(core, variant))._unsafeUnwrap()).toEqual({ upload: first.upload, duplicate: true });
    expectUnchanged(core, before);
  });
});

describe('registerUpload: recording the photo fails', () => {
  const down = transientError('persistence.unavailable', 'injected by the test');

  it('answers the failure and removes the bytes it stored', async () => {
    const core = memoryCore();
    const failing = withRepositories(core.deps.uow, (repos) => ({ ...repos, uploads: { ...repos.uploads, insert: () => errAsync(down) } }));
    const before = storedState(core);
    expect((await registerUpload({ ...core.deps, uow: failing }, { ownerId: alice, body: streamOf(await photo(33)) }))._unsafeUnwrapErr()).toEqual(down);
    expectUnchanged(core, before);
  });

  it('keeps the bytes when it cannot tell whether a row holds them (the audit reports them)', async () => {
    const core = memoryCore();
    const failing = withRepositories(core.deps.uow, (repos) => ({
      ...repos,
      uploads: { ...repos.uploads, insert: () => errAsync(down), get: () => errAsync(down) },
    }));
    expect((await registerUpload({ ...core.deps, uow: failing }, { ownerId: alice, body: streamOf(await photo(34)) }))._unsafeUnwrapErr()).toEqual(down);
    expect(core.db.snapshot().uploads).toEqual([]);
    expect(core.store.keys()).toHaveLength(1);
    expect(core.store.keys()[0]).toMatch(new RegExp(`^uploads/${ownerRef(alice)}/`));
  });
});

describe('registerUpload: storage quota', () => {
  it('refuses a photo beyond the stored-photos quota, storing nothing', async () => {
    const core = memoryCore({ quotas: { ...defaultQuotaPolicy, maxStoredPhotos: 1 } });
    (await register(core, await photo(35)))._unsafeUnwrap();
    await expectRefused(core, await photo(36), 'quota.stored_photos');
    // Another owner has a quota of their own.
    expect((await register(core, await photo(36), bob)).isOk()).toBe(true);
  });
});
