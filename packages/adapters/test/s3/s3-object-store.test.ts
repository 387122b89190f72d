import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore, connectS3 } from '../../src/s3/index.js';
import { collect, sha256Of, streamOf, texturedPhoto } from '@selfie-lora/testkit/photos';
import { startS3Fixture, type S3Fixture } from './support/local-s3.js';

// Generous timeouts: these talk to a real server, and `npm test` runs many suites at once.
describe('S3ObjectStore on s3rver', { timeout: 30_000 }, () => {
  let fixture: S3Fixture;
  beforeAll(async () => {
    fixture = await startS3Fixture();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  describe('presigned URLs', () => {
    it('gives a time-limited GET URL that plain fetch can download', async () => {
      const bytes = await texturedPhoto(1, { width: 64, height: 64 });
      (await fixture.store.put('signed/get.jpg', streamOf(bytes), { maxBytes: 1 << 20 }))._unsafeUnwrap();
      const url = new URL((await fixture.store.signedGetUrl('signed/get.jpg', 900))._unsafeUnwrap());
      expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
      expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(sha256Of(new Uint8Array(await response.arrayBuffer()))).toBe(sha256Of(bytes));
    });

    it('refuses a lifetime S3 would not honour', async () => {
      for (const ttl of [0, -5, 1.5, 7 * 24 * 3600 + 1]) {
        expect((await fixture.store.signedGetUrl('signed/get.jpg', ttl))._unsafeUnwrapErr().code).toBe('storage.unavailable');
      }
    });

    it('gives a PUT URL that plain fetch can upload through, after which the object is measured', async () => {
      const bytes = await texturedPhoto(2, { width: 80, height: 80 });
      const url = (await fixture.store.signedPutUrl('direct/upload.jpg', 600))._unsafeUnwrap();
      expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('600');
      const response = await fetch(url, { method: 'PUT', body: bytes });
      expect(response.status).toBe(200);
      const facts = (await fixture.store.inspect('direct/upload.jpg'))._unsafeUnwrap();
      expect(facts.exists && [facts.byteSize, facts.sha256]).toEqual([bytes.byteLength, sha256Of(bytes)]);
    });

    it('signs a declared length into the PUT URL, and refuses to sign one over the limit', async () => {
      const url = new URL((await fixture.store.signedPutUrl('direct/sized.jpg', 600, { contentLength: 1234, maxBytes: 2000 }))._unsafeUnwrap());
      expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toContain('content-length');
      const refused = await fixture.store.signedPutUrl('direct/sized.jpg', 600, { contentLength: 2001, maxBytes: 2000 });
      expect(refused._unsafeUnwrapErr().code).toBe('storage.too_large');
    });

    it('keeps checksum parameters out of presigned URLs even in when_supported mode', async () => {
      // The SDK would sign the CRC32 of an empty body into the PUT URL: real S3 then refuses every upload.
      const store = new S3ObjectStore(fixture.connect('when_supported'));
      const put = new URL((await store.signedPutUrl('direct/crc.jpg', 60))._unsafeUnwrap());
      const get = new URL((await store.signedGetUrl('direct/crc.jpg', 60))._unsafeUnwrap());
      expect([...put.searchParams.keys(), ...get.searchParams.keys()].filter((name) => /checksum/i.test(name))).toEqual([]);
    });
  });

  it('streams read() without buffering: a partly consumed body can be abandoned', async () => {
    const bytes = new Uint8Array(3 << 20).map((_, i) => i % 251);
    (await fixture.store.put('stream/big.bin', streamOf(bytes, 1 << 16), { maxBytes: 4 << 20 }))._unsafeUnwrap();
    const body = (await fixture.store.read('stream/big.bin'))._unsafeUnwrap()!;
    let seen = 0;
    for await (const chunk of body) {
      seen += chunk.byteLength;
      if (seen > 1 << 16) break;
    }
    expect(seen).toBeLessThan(bytes.byteLength);
    // The store still answers after the abandoned stream.
    expect(sha256Of(await collect((await fixture.store.read('stream/big.bin'))._unsafeUnwrap()!))).toBe(sha256Of(bytes));
  });

  it('lists a bucket page by page within the page bound, and refuses one needing more pages', async () => {
    for (const name of ['1', '2', '3', '4', '5']) (await fixture.store.put(`bound/${name}`, streamOf(new Uint8Array(2)), { maxBytes: 2 }))._unsafeUnwrap();
    const enough = new S3ObjectStore(fixture.s3, { listPageSize: 2, maxListPages: 3 });
    expect((await enough.list('bound/'))._unsafeUnwrap().map((object) => object.key)).toEqual(['1', '2', '3', '4', '5'].map((name) => `bound/${name}`));
    const tooFew = new S3ObjectStore(fixture.s3, { listPageSize: 2, maxListPages: 2 });
    const error = (await tooFew.list('bound/'))._unsafeUnwrapErr();
    expect([error.code, error.transient ?? false]).toEqual(['storage.unavailable', false]);
    expect(error.detail).toContain('more than 2 pages');
  });

  it('creates a missing bucket and accepts an existing one (ensureBucket is idempotent)', async () => {
    const other = new S3ObjectStore(connectS3({ ...fixture.config, bucket: 'second-bucket', maxAttempts: 1 }));
    expect((await other.inspect('x'))._unsafeUnwrapErr().code).toBe('storage.unavailable');
    expect((await other.ensureBucket()).isOk()).toBe(true);
    expect((await other.ensureBucket()).isOk()).toBe(true);
    expect((await other.inspect('x'))._unsafeUnwrap()).toEqual({ exists: false });
  });

  it('tells a missing bucket (a permanent error) from a missing object', async () => {
    const store = new S3ObjectStore(fixture.connect('when_required'));
    const wrong = new S3ObjectStore(connectS3({ ...fixture.config, bucket: 'no-such-bucket' }));
    expect((await store.inspect('nothing-here'))._unsafeUnwrap()).toEqual({ exists: false });
    for (const result of [
      await wrong.inspect('k'),
      await wrong.read('k'),
      await wrong.put('k', streamOf(new Uint8Array(10)), { maxBytes: 100 }),
      await wrong.list('k'),
    ]) {
      const error = result._unsafeUnwrapErr();
      expect(error.code).toBe('storage.unavailable');
      expect(error.transient).toBeFalsy();
      expect(error.detail).toMatch(/NoSuchBucket/);
    }
  });
});

describe('S3ObjectStore when the server is gone', { timeout: 30_000 }, () => {
  it('answers every operation with a transient storage.unavailable, never a throw or "missing"', async () => {
    const fixture = await startS3Fixture({ maxAttempts: 1 });
    (await fixture.store.put('k', streamOf(new Uint8Array(10)), { maxBytes: 100 }))._unsafeUnwrap();
    await fixture.server.close();
    try {
      const results = [
        await fixture.store.put('k', streamOf(new Uint8Array(10)), { maxBytes: 100 }),
        await fixture.store.inspect('k'),
        await fixture.store.read('k'),
        await fixture.store.delete('k'),
        await fixture.store.list(''),
      ];
      for (const result of results) {
        const error = result._unsafeUnwrapErr();
        expect(error.code).toBe('storage.unavailable');
        expect(error.transient).toBe(true);
      }
    } finally {
      await fixture.close();
    }
  });
});
