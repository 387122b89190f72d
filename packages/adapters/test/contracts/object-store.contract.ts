import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  newUpload,
  OwnerId,
  uploadKey,
  UploadId,
  verifyUploads,
  type ListedObject,
  type ListedPage,
  type ObjectFacts,
  type ObjectStore,
  type Sha256,
  type StoredObjectFacts,
  type TrainingSetItem,
  type Upload,
} from '@selfie-lora/core';
import { restoreTrainingSet } from '@selfie-lora/core/persistence';
import { SharpImageInspector } from '../../src/images/sharp-image-inspector.js';
import { collect, noiseBytes, photo, sha256Of, streamOf, texturedPhoto } from '@selfie-lora/testkit/photos';

export interface ObjectStoreSubject {
  readonly store: ObjectStore;
  /** Fetches a signed URL as the trainer would: the bytes, or null when refused. */
  download(url: string): Promise<Uint8Array | null>;
  /** PUTs bytes through a signed URL as a client would: whether the store accepted them. */
  upload(url: string, bytes: Uint8Array): Promise<boolean>;
  /**
   * Whether the URL's signature binds a PUT to exactly `contentLength` bytes, as the store would
   * check it: the memory store's signed `length`; for S3, the signed Content-Length header,
   * recomputed as S3 does.
   */
  signedFor(url: string, contentLength: number): Promise<boolean>;
  close(): Promise<void>;
  /** "Now" as the store stamps objects: its clock for the fake, the wall clock for a server. */
  now(): Date;
  /** Keys per listing page, when the store lists in pages (so a test can span several). */
  readonly listPageSize?: number;
}

const MiB = 1024 * 1024;
const owner = OwnerId.parse('contract-owner')._unsafeUnwrap();
const inspector = new SharpImageInspector();

/** Facts with `head` as a plain Uint8Array: a Buffer is one too, and either satisfies the port. */
function plain(facts: ObjectFacts): ObjectFacts {
  return facts.exists ? { ...facts, head: new Uint8Array(facts.head) } : facts;
}

async function* breaksOff(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes.subarray(0, 1000);
  await Promise.resolve();
  throw new Error('client went away');
}

/**
 * What every ObjectStore must do, whatever holds the bytes. Run against the in-memory fake and
 * the S3 adapter, so the fake the core's tests rely on cannot drift from the real store.
 */
export function objectStoreContract(
  name: string,
  start: () => Promise<ObjectStoreSubject>,
  /**
   * Whether the server behind the store checks presigned signatures, so that a PUT of another
   * length than the signed one is refused: the memory store and real S3 do; s3rver checks none.
   */
  options: { readonly checksSignatures: boolean },
): void {
  describe(`ObjectStore contract: ${name}`, { timeout: 30_000 }, () => {
    let subject: ObjectStoreSubject;
    let store: ObjectStore;
    let counter = 0;
    const freshKey = (label: string) => `contract/${label}-${(counter += 1)}`;

    beforeAll(async () => {
      subject = await start();
      store = subject.store;
    });
    afterAll(async () => {
      await subject?.close();
    });

    /** What I2 verification concludes about an upload stored under its key. */
    async function verifyStored(upload: Upload): Promise<string> {
      const facts = (await store.inspect(uploadKey(owner, upload.id)))._unsafeUnwrap();
      const stored: StoredObjectFacts = facts.exists
        ? { exists: true, byteSize: facts.byteSize, sha256: facts.sha256, sniffedType: (await inspector.sniff(facts.head))._unsafeUnwrap() }
        : { exists: false };
      const item: TrainingSetItem = { uploadId: upload.id, sha256: upload.sha256, byteSize: upload.byteSize, contentType: upload.contentType };
      const set = restoreTrainingSet(owner, [item]);
      return verifyUploads(set, new Map([[upload.id, upload]]), new Map([[upload.id, stored]])).match(
        () => 'verified',
        (error) => error.code,
      );
    }

    async function storedPhoto(seed: number): Promise<{ upload: Upload; bytes: Uint8Array }> {
      const bytes = await photo(seed, { width: 300, height: 300 });
      const id = UploadId.parse(`upload-${seed}-${(counter += 1)}`)._unsafeUnwrap();
      const put = (await store.put(uploadKey(owner, id), streamOf(bytes), { maxBytes: 20 * MiB }))._unsafeUnwrap();
      const upload = newUpload({
        id,
        ownerId: owner,
        sha256: put.sha256,
        byteSize: put.byteSize,
        facts: { contentType: 'image/jpeg', width: 300, height: 300 },
        now: new Date(0),
      });
      return { upload, bytes };
    }

    it('stores a photo and reports the size and SHA-256 it streamed, then reads the same bytes back', async () => {
      const bytes = await texturedPhoto(11, { format: 'png', width: 100, height: 80 });
      const key = freshKey('photo');
      const put = (await store.put(key, streamOf(bytes, 7000), { maxBytes: 20 * MiB }))._unsafeUnwrap();
      expect(put).toEqual({ key, byteSize: bytes.byteLength, sha256: sha256Of(bytes) });

      const facts = plain((await store.inspect(key))._unsafeUnwrap());
      expect(facts).toEqual({ exists: true, byteSize: bytes.byteLength, sha256: sha256Of(bytes), head: bytes.slice(0, 4096) });
      expect(bytes.byteLength).toBeGreaterThan(4096);

      const body = (await store.read(key))._unsafeUnwrap();
      expect(body).not.toBeNull();
      expect(sha256Of(await collect(body!))).toBe(sha256Of(bytes));
    });

    it('keeps a small object whole in head, and an empty object as zero bytes', async () => {
      const small = noiseBytes(100);
      const smallKey = freshKey('small');
      (await store.put(smallKey, streamOf(small), { maxBytes: 100 }))._unsafeUnwrap();
      expect(plain((await store.inspect(smallKey))._unsafeUnwrap())).toEqual({ exists: true, byteSize: 100, sha256: sha256Of(small), head: small });

      const emptyKey = freshKey('empty');
      const put = (await store.put(emptyKey, streamOf(new Uint8Array(0)), { maxBytes: 10 }))._unsafeUnwrap();
      expect(put.byteSize).toBe(0);
      expect(plain((await store.inspect(emptyKey))._unsafeUnwrap())).toEqual({
        exists: true,
        byteSize: 0,
        sha256: sha256Of(new Uint8Array(0)),
        head: new Uint8Array(0),
      });
    });

    it('round-trips an object larger than one multipart part', async () => {
      const bytes = noiseBytes(6 * MiB + 123, 7);
      const key = freshKey('large');
      const put = (await store.put(key, streamOf(bytes, 256 * 1024), { maxBytes: 20 * MiB }))._unsafeUnwrap();
      expect(put.byteSize).toBe(bytes.byteLength);
      expect(put.sha256).toBe(sha256Of(bytes));
      const facts = (await store.inspect(key))._unsafeUnwrap();
      expect(facts.exists && facts.sha256).toBe(sha256Of(bytes));
    });

    it('accepts exactly maxBytes and refuses one byte more, storing nothing', async () => {
      const bytes = noiseBytes(5000);
      const exact = freshKey('exact');
      expect((await store.put(exact, streamOf(bytes, 1024), { maxBytes: 5000 }))._unsafeUnwrap().byteSize).toBe(5000);

      const over = freshKey('over');
      const refused = await store.put(over, streamOf(bytes, 1024), { maxBytes: 4999 });
      expect(refused._unsafeUnwrapErr().code).toBe('storage.too_large');
      expect((await store.inspect(over))._unsafeUnwrap()).toEqual({ exists: false });
      expect((await store.read(over))._unsafeUnwrap()).toBeNull();
    });

    it('refuses a body past maxBytes even after several parts have gone out, storing nothing', async () => {
      const key = freshKey('over-multipart');
      const refused = await store.put(key, streamOf(noiseBytes(12 * MiB, 3), 512 * 1024), { maxBytes: 11 * MiB });
      expect(refused._unsafeUnwrapErr().code).toBe('storage.too_large');
      expect((await store.inspect(key))._unsafeUnwrap()).toEqual({ exists: false });
    });

    it('leaves the previous object untouched when a replacement is refused', async () => {
      const key = freshKey('keep');
      const original = noiseBytes(300, 5);
      (await store.put(key, streamOf(original), { maxBytes: 1000 }))._unsafeUnwrap();
      expect((await store.put(key, streamOf(noiseBytes(2000, 6)), { maxBytes: 1000 }))._unsafeUnwrapErr().code).toBe('storage.too_large');
      const facts = (await store.inspect(key))._unsafeUnwrap();
      expect(facts.exists && facts.sha256).toBe(sha256Of(original));
    });

    it('stores nothing when the body breaks off, and says storage is unavailable (transient)', async () => {
      const key = freshKey('broken');
      const error = (await store.put(key, breaksOff(noiseBytes(5000)), { maxBytes: MiB }))._unsafeUnwrapErr();
      expect(error.code).toBe('storage.unavailable');
      expect(error.transient).toBe(true);
      expect((await store.inspect(key))._unsafeUnwrap()).toEqual({ exists: false });
    });

    it('reports a missing key as absent, and deletes idempotently', async () => {
      const key = freshKey('gone');
      expect((await store.inspect(key))._unsafeUnwrap()).toEqual({ exists: false });
      expect((await store.read(key))._unsafeUnwrap()).toBeNull();
      expect((await store.delete(key)).isOk()).toBe(true);

      (await store.put(key, streamOf(noiseBytes(10)), { maxBytes: 10 }))._unsafeUnwrap();
      expect((await store.delete(key)).isOk()).toBe(true);
      expect((await store.delete(key)).isOk()).toBe(true);
      expect((await store.inspect(key))._unsafeUnwrap()).toEqual({ exists: false });
    });

    it('keeps keys apart', async () => {
      const [a, b] = [freshKey('a'), freshKey('b')];
      (await store.put(a, streamOf(noiseBytes(64, 1)), { maxBytes: 64 }))._unsafeUnwrap();
      (await store.put(b, streamOf(noiseBytes(64, 2)), { maxBytes: 64 }))._unsafeUnwrap();
      const factsA = (await store.inspect(a))._unsafeUnwrap();
      expect(factsA.exists && factsA.sha256).toBe(sha256Of(noiseBytes(64, 1)));
      (await store.delete(b))._unsafeUnwrap();
      expect((await store.inspect(a))._unsafeUnwrap().exists).toBe(true);
    });

    it('gives a signed GET URL through which the object downloads', async () => {
      const bytes = await photo(21);
      const key = freshKey('signed');
      (await store.put(key, streamOf(bytes), { maxBytes: MiB }))._unsafeUnwrap();
      const url = (await store.signedGetUrl(key, 300))._unsafeUnwrap();
      const downloaded = await subject.download(url);
      expect(downloaded && sha256Of(downloaded)).toBe(sha256Of(bytes));
    });

    it('gives a signed PUT URL through which a client stores bytes under exactly that key', async () => {
      const bytes = await texturedPhoto(22, { width: 120, height: 90 });
      const key = freshKey('direct');
      const url = (await store.signedPutUrl(key, 900, { contentLength: bytes.byteLength }))._unsafeUnwrap();
      expect((await store.inspect(key))._unsafeUnwrap()).toEqual({ exists: false });

      expect(await subject.upload(url, bytes)).toBe(true);
      const facts = (await store.inspect(key))._unsafeUnwrap();
      expect(facts.exists && [facts.byteSize, facts.sha256]).toEqual([bytes.byteLength, sha256Of(bytes)]);
      expect(sha256Of(await collect((await store.read(key))._unsafeUnwrap()!))).toBe(sha256Of(bytes));
      // Signing for one key put nothing under another.
      expect((await store.inspect(freshKey('direct')))._unsafeUnwrap()).toEqual({ exists: false });
    });

    it('signs the declared length into a PUT URL: its signature covers exactly that many bytes', async () => {
      const bytes = await texturedPhoto(23, { width: 100, height: 90 });
      const key = freshKey('sized');
      const url = (await store.signedPutUrl(key, 900, { contentLength: bytes.byteLength }))._unsafeUnwrap();
      expect(await subject.signedFor(url, bytes.byteLength)).toBe(true);
      expect(await subject.signedFor(url, bytes.byteLength + 1)).toBe(false);
      expect(await subject.signedFor(url, bytes.byteLength - 1)).toBe(false);
      // Another length signs another URL.
      const other = (await store.signedPutUrl(key, 900, { contentLength: bytes.byteLength + 1 }))._unsafeUnwrap();
      expect(await subject.signedFor(other, bytes.byteLength + 1)).toBe(true);
      expect(await subject.signedFor(other, bytes.byteLength)).toBe(false);

      expect(await subject.upload(url, bytes)).toBe(true);
      const facts = (await store.inspect(key))._unsafeUnwrap();
      expect(facts.exists && [facts.byteSize, facts.sha256]).toEqual([bytes.byteLength, sha256Of(bytes)]);
    });

    it.runIf(options.checksSignatures)('refuses a PUT of any other length than the signed one, storing nothing', async () => {
      const bytes = noiseBytes(5000, 4);
      const key = freshKey('wrong-length');
      const url = (await store.signedPutUrl(key, 900, { contentLength: 4999 }))._unsafeUnwrap();
      expect(await subject.upload(url, bytes)).toBe(false);
      expect(await subject.upload(url, bytes.subarray(0, 4998))).toBe(false);
      expect(await subject.upload(url, new Uint8Array(0))).toBe(false);
      expect((await store.inspect(key))._unsafeUnwrap()).toEqual({ exists: false });

      expect(await subject.upload(url, bytes.subarray(0, 4999))).toBe(true);
      const facts = (await store.inspect(key))._unsafeUnwrap();
      expect(facts.exists && facts.byteSize).toBe(4999);
    });

    it('refuses to sign a PUT for a length that is not a byte count', async () => {
      for (const contentLength of [-1, 1.5, Number.NaN, 2 ** 53]) {
        const refused = await store.signedPutUrl(freshKey('bad-length'), 900, { contentLength });
        expect(refused.isErr() && refused.error.code, String(contentLength)).toBe('storage.unavailable');
      }
    });

    describe('list', () => {
      const listPrefix = () => `listing-${(counter += 1)}/`;
      const keysOf = (listed: readonly ListedObject[]) => listed.map((object) => object.key);

      async function putSized(key: string, size: number): Promise<void> {
        (await store.put(key, streamOf(noiseBytes(size, size)), { maxBytes: size }))._unsafeUnwrap();
      }

      it('lists every object whose key starts with the prefix as a plain string, in key order, with sizes', async () => {
        const p = listPrefix();
        // Written out of order; 'a-1' < 'a/y' < 'ab/x' in key order ('-' < '/' < 'b').
        const sizes: Record<string, number> = { 'uploads/b': 1, 'uploads/ab/x': 5, 'uploads/a': 3, 'uploads/a/y': 7, 'uploads/a-1': 4, uploadsX: 2 };
        for (const [key, size] of Object.entries(sizes)) await putSized(p + key, size);
        await putSized(`other-${p}uploads/a`, 6); // contains the prefix, does not start with it

        const underA = (await store.list(`${p}uploads/a`))._unsafeUnwrap();
        expect(underA.map(({ key, byteSize }) => [key, byteSize])).toEqual([
          [`${p}uploads/a`, 3],
          [`${p}uploads/a-1`, 4],
          [`${p}uploads/a/y`, 7],
          [`${p}uploads/ab/x`, 5],
        ]);
        expect(keysOf((await store.list(`${p}uploads/a/`))._unsafeUnwrap())).toEqual([`${p}uploads/a/y`]);
        expect(keysOf((await store.list(`${p}uploads/`))._unsafeUnwrap())).toEqual(
          ['uploads/a', 'uploads/a-1', 'uploads/a/y', 'uploads/ab/x', 'uploads/b'].map((key) => p + key),
        );
        expect(keysOf((await store.list(p))._unsafeUnwrap())).toEqual(
          ['uploads/a', 'uploads/a-1', 'uploads/a/y', 'uploads/ab/x', 'uploads/b', 'uploadsX'].map((key) => p + key),
        );
      });

      it('orders keys by their UTF-8 bytes, as S3 does', async () => {
        const p = listPrefix();
        // UTF-16 order would put the emoji (a surrogate pair, 0xD83D...) before U+FF5E; UTF-8 puts it after.
        const keys = [`${p}\u{1F600}`, `${p}\uFF5E`, `${p}z`];
        for (const key of keys) await putSized(key, 1);
        expect(keysOf((await store.list(p))._unsafeUnwrap())).toEqual([`${p}z`, `${p}\uFF5E`, `${p}\u{1F600}`]);
      });

      it('answers an empty list for a prefix nothing starts with', async () => {
        const p = listPrefix();
        await putSized(`${p}present`, 1);
        expect((await store.list(`${p}absent`))._unsafeUnwrap()).toEqual([]);
        expect((await store.list(`${p}present/`))._unsafeUnwrap()).toEqual([]);
      });

      it('stamps a fresh object with a lastModified near now', async () => {
        const p = listPrefix();
        const before = subject.now().getTime();
        await putSized(`${p}fresh`, 10);
        const after = subject.now().getTime();
        const [listed] = (await store.list(p))._unsafeUnwrap();
        expect(listed?.lastModified).toBeInstanceOf(Date);
        // S3 keeps whole seconds; allow that and a little clock skew either side.
        expect(listed!.lastModified.getTime()).toBeGreaterThanOrEqual(before - 2000);
        expect(listed!.lastModified.getTime()).toBeLessThanOrEqual(after + 2000);
      });

      it('lists past one page: every object, once, in order', async () => {
        const p = listPrefix();
        const count = 2 * (subject.listPageSize ?? 2) + 1;
        const keys = Array.from({ length: count }, (_, i) => `${p}item-${String(i).padStart(3, '0')}`);
        for (const key of [...keys].reverse()) await putSized(key, 8);
        const listed = (await store.list(p))._unsafeUnwrap();
        expect(keysOf(listed)).toEqual(keys);
        expect(listed.every((object) => object.byteSize === 8)).toBe(true);
      });

      it('pages a listing: up to the limit after a key, in UTF-8 byte order, saying whether more follow', async () => {
        const p = listPrefix();
        const keys = [`${p}a`, `${p}a-1`, `${p}a/y`, `${p}b`, `${p}z`, `${p}\uFF5E`, `${p}\u{1F600}`];
        for (const key of [...keys].reverse()) await putSized(key, 2);
        await putSized(`other-${p}a`, 1);
        const walked: string[] = [];
        let after: string | null = null;
        let pages = 0;
        for (;;) {
          const page: ListedPage = (await store.listPage(p, after, 3))._unsafeUnwrap();
          pages += 1;
          expect(page.objects.length).toBeLessThanOrEqual(3);
          walked.push(...keysOf(page.objects));
          if (!page.more) break;
          after = page.objects[page.objects.length - 1]!.key;
        }
        expect(walked).toEqual(keys);
        expect(pages).toBe(3);
        const first = (await store.listPage(p, null, 2))._unsafeUnwrap();
        expect(first.objects.map(({ key, byteSize }) => [key, byteSize])).toEqual([[`${p}a`, 2], [`${p}a-1`, 2]]);
        expect(first.more).toBe(true);
        // A start key need not exist; the last page says no more.
        expect(keysOf((await store.listPage(p, `${p}a/x`, 10))._unsafeUnwrap().objects)).toEqual(keys.slice(2));
        expect((await store.listPage(p, `${p}z`, 10))._unsafeUnwrap()).toMatchObject({ more: false });
        expect((await store.listPage(`${p}absent`, null, 10))._unsafeUnwrap()).toEqual({ objects: [], more: false });
      });

      it('refuses a page limit outside 1 to 1000', async () => {
        for (const limit of [0, 1001, 1.5]) expect((await store.listPage(listPrefix(), null, limit))._unsafeUnwrapErr().code).toBe('storage.unavailable');
      });

      it('drops deleted objects and shows a replaced object once, at its new size', async () => {
        const p = listPrefix();
        for (const key of ['a', 'b', 'c']) await putSized(p + key, 3);
        (await store.delete(`${p}b`))._unsafeUnwrap();
        await putSized(`${p}c`, 9);
        expect((await store.list(p))._unsafeUnwrap().map(({ key, byteSize }) => [key, byteSize])).toEqual([
          [`${p}a`, 3],
          [`${p}c`, 9],
        ]);
        (await store.delete(`${p}a`))._unsafeUnwrap();
        (await store.delete(`${p}c`))._unsafeUnwrap();
        expect((await store.list(p))._unsafeUnwrap()).toEqual([]);
      });
    });

    describe('what I2 verification sees', () => {
      it('an untouched photo verifies', async () => {
        const { upload } = await storedPhoto(31);
        expect(await verifyStored(upload)).toBe('verified');
      });

      it('a missing photo fails as verify.object_missing', async () => {
        const { upload } = await storedPhoto(32);
        (await store.delete(uploadKey(owner, upload.id)))._unsafeUnwrap();
        expect(await verifyStored(upload)).toBe('verify.object_missing');
      });

      it('a truncated photo is reported with its real size, and fails as verify.size_mismatch', async () => {
        const { upload, bytes } = await storedPhoto(33);
        const cut = bytes.subarray(0, bytes.byteLength - 100);
        (await store.put(uploadKey(owner, upload.id), streamOf(cut), { maxBytes: MiB }))._unsafeUnwrap();
        const facts = (await store.inspect(uploadKey(owner, upload.id)))._unsafeUnwrap();
        expect(facts.exists && [facts.byteSize, facts.sha256]).toEqual([cut.byteLength, sha256Of(cut)]);
        expect(await verifyStored(upload)).toBe('verify.size_mismatch');
      });

      it('a photo replaced by one of the same size fails as verify.hash_mismatch', async () => {
        const { upload, bytes } = await storedPhoto(34);
        const replaced = Uint8Array.from(bytes);
        replaced[replaced.byteLength - 10] = replaced[replaced.byteLength - 10]! ^ 0xff;
        (await store.put(uploadKey(owner, upload.id), streamOf(replaced), { maxBytes: MiB }))._unsafeUnwrap();
        const facts = (await store.inspect(uploadKey(owner, upload.id)))._unsafeUnwrap();
        expect(facts.exists && facts.sha256).toBe(sha256Of(replaced) as Sha256);
        expect(await verifyStored(upload)).toBe('verify.hash_mismatch');
      });

      it('a photo replaced by a non-image of the same bytes count fails as verify.hash_mismatch, never verified', async () => {
        const { upload } = await storedPhoto(35);
        (await store.put(uploadKey(owner, upload.id), streamOf(noiseBytes(upload.byteSize, 9)), { maxBytes: MiB }))._unsafeUnwrap();
        expect(await verifyStored(upload)).toBe('verify.hash_mismatch');
      });
    });
  });
}
