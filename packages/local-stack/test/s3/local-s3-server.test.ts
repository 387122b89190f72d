import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { connectS3, S3ObjectStore } from '@selfie-lora/adapters/s3';
import { startLocalS3 } from '../../src/s3/local-s3-server.js';

async function* streamOf(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield await Promise.resolve(bytes);
}

describe('startLocalS3', { timeout: 30_000 }, () => {
  it('serves pre-created buckets on 127.0.0.1, keeps objects in its directory, and stops on close', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'selfie-local-s3-'));
    const server = await startLocalS3({ directory, buckets: ['ready'] });
    const s3 = connectS3({ ...server.credentials, endpoint: server.endpoint, region: server.region, bucket: 'ready', forcePathStyle: true, checksumMode: 'when_required', maxAttempts: 1 });
    try {
      expect(new URL(server.endpoint).hostname).toBe('127.0.0.1');
      expect(Number(new URL(server.endpoint).port)).toBeGreaterThan(0);
      const store = new S3ObjectStore(s3);
      // No ensureBucket(): the bucket was created at start.
      expect((await store.put('hello', streamOf(new Uint8Array([1, 2, 3])), { maxBytes: 3 }))._unsafeUnwrap().byteSize).toBe(3);
      expect(await readdir(directory)).toContain('ready');

      await server.close();
      await server.close(); // idempotent
      const error = (await store.inspect('hello'))._unsafeUnwrapErr();
      expect([error.code, error.transient]).toEqual(['storage.unavailable', true]);
    } finally {
      s3.close();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('startLocalS3 ListObjectsV2 (patched: s3rver 3.7.1 cannot page it on Node 17+)', { timeout: 30_000 }, () => {
  it('pages in UTF-8 key order with continuation tokens, and still answers delimiters and refuses bad tokens', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'selfie-local-s3-'));
    const server = await startLocalS3({ directory, buckets: ['ready'] });
    const s3 = connectS3({ ...server.credentials, endpoint: server.endpoint, region: server.region, bucket: 'ready', forcePathStyle: true, checksumMode: 'when_required', maxAttempts: 1 });
    try {
      const store = new S3ObjectStore(s3);
      const keys = ['d/b', 'd/a/1', 'd/a-1', 'd/\u{1F600}', 'd/\uFF5E'];
      for (const key of keys) (await store.put(key, streamOf(new Uint8Array([1])), { maxBytes: 1 }))._unsafeUnwrap();

      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await s3.client.send(new ListObjectsV2Command({ Bucket: 'ready', Prefix: 'd/', MaxKeys: 2, ContinuationToken: token }));
        pages += 1;
        expect(page.KeyCount).toBe(page.Contents?.length ?? 0);
        seen.push(...(page.Contents ?? []).map((object) => object.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined && pages < 10);
      expect(seen).toEqual(['d/a-1', 'd/a/1', 'd/b', 'd/\uFF5E', 'd/\u{1F600}']);
      expect(pages).toBe(3);

      // A prefix that ends inside a name, a key that is also a directory's name, StartAfter inside
      // a directory, and the whole bucket: each the keys S3 would give, in its order.
      (await store.put('d/a', streamOf(new Uint8Array([1])), { maxBytes: 1 }))._unsafeUnwrap();
      (await store.put('e/x/y/z', streamOf(new Uint8Array([1])), { maxBytes: 1 }))._unsafeUnwrap();
      const list = async (input: { Prefix?: string; StartAfter?: string; MaxKeys?: number }) =>
        ((await s3.client.send(new ListObjectsV2Command({ Bucket: 'ready', ...input }))).Contents ?? []).map((object) => object.Key!);
      expect(await list({ Prefix: 'd/a' })).toEqual(['d/a', 'd/a-1', 'd/a/1']);
      expect(await list({ Prefix: 'd/a', StartAfter: 'd/a-1' })).toEqual(['d/a/1']);
      expect(await list({ Prefix: 'd/', StartAfter: 'd/a/0' })).toEqual(['d/a/1', 'd/b', 'd/\uFF5E', 'd/\u{1F600}']);
      expect(await list({})).toEqual(['d/a', 'd/a-1', 'd/a/1', 'd/b', 'd/\uFF5E', 'd/\u{1F600}', 'e/x/y/z']);
      expect(await list({ StartAfter: 'd/\u{1F600}', MaxKeys: 1 })).toEqual(['e/x/y/z']);
      expect(await list({ Prefix: 'nothing/here/' })).toEqual([]);

      const grouped = await s3.client.send(new ListObjectsV2Command({ Bucket: 'ready', Prefix: 'd/', Delimiter: '/' }));
      expect(grouped.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual(['d/a/']);

      await expect(s3.client.send(new ListObjectsV2Command({ Bucket: 'ready', ContinuationToken: 'not-ours' }))).rejects.toMatchObject({ name: 'InvalidArgument' });
    } finally {
      s3.close();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('startLocalS3 requires its credentials (any local process could otherwise read every selfie)', { timeout: 30_000 }, () => {
  it('refuses anonymous PUT, GET and LIST and the well-known s3rver key; serves its own key, signed or presigned', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'selfie-local-s3-'));
    const server = await startLocalS3({ directory, buckets: ['private'] });
    const connect = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
      connectS3({ ...credentials, endpoint: server.endpoint, region: server.region, bucket: 'private', forcePathStyle: true, checksumMode: 'when_required', maxAttempts: 1 });
    const own = connect(server.credentials);
    const wellKnown = connect({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    try {
      expect(server.credentials.accessKeyId).not.toBe('S3RVER');
      const store = new S3ObjectStore(own);
      (await store.put('owner/photo', streamOf(new Uint8Array([1, 2, 3])), { maxBytes: 3 }))._unsafeUnwrap();

      for (const [method, path] of [
        ['PUT', '/private/owner/planted'],
        ['GET', '/private/owner/photo'],
        ['GET', '/private?list-type=2'],
        ['GET', '/'],
      ] as const) {
        const answer = await fetch(`${server.endpoint}${path}`, { method, ...(method === 'PUT' ? { body: 'x' } : {}) });
        expect([method, path, answer.status]).toEqual([method, path, 403]);
        expect(await answer.text()).toContain('<Code>AccessDenied</Code>');
      }
      await expect(wellKnown.client.send(new ListObjectsV2Command({ Bucket: 'private' }))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });

      // Its own key: signed requests and presigned URLs work.
      const listed = await own.client.send(new ListObjectsV2Command({ Bucket: 'private' }));
      expect(listed.Contents?.map((object) => object.Key)).toEqual(['owner/photo']);
      const url = (await store.signedGetUrl('owner/photo', 60))._unsafeUnwrap();
      expect(new Uint8Array(await (await fetch(url)).arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    } finally {
      own.close();
      wellKnown.close();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('startLocalS3 checks signatures (s3rver 3.7.1 checks none)', { timeout: 30_000 }, () => {
  it('refuses its own key with a wrong secret, a tampered presigned URL and an expired one', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'selfie-local-s3-'));
    const server = await startLocalS3({ directory, buckets: ['private'] });
    const connect = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
      connectS3({ ...credentials, endpoint: server.endpoint, region: server.region, bucket: 'private', forcePathStyle: true, checksumMode: 'when_required', maxAttempts: 1 });
    const own = connect(server.credentials);
    const guessed = connect({ accessKeyId: server.credentials.accessKeyId, secretAccessKey: 'a-guessed-secret' });
    try {
      const store = new S3ObjectStore(own);
      for (const key of ['owner-a/photo', 'owner-b/photo']) (await store.put(key, streamOf(new Uint8Array([7])), { maxBytes: 1 }))._unsafeUnwrap();
      await expect(guessed.client.send(new ListObjectsV2Command({ Bucket: 'private' }))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });

      const url = (await store.signedGetUrl('owner-a/photo', 60))._unsafeUnwrap();
      expect((await fetch(url)).status).toBe(200);
      const tampered = url.replace('/owner-a/', '/owner-b/');
      const refused = await fetch(tampered);
      expect([refused.status, await refused.text()]).toEqual([403, expect.stringContaining('<Code>SignatureDoesNotMatch</Code>')]);

      const expired = await getSignedUrl(own.client, new GetObjectCommand({ Bucket: 'private', Key: 'owner-a/photo' }), {
        expiresIn: 60,
        signingDate: new Date(Date.now() - 3_600_000),
      });
      const late = await fetch(expired);
      expect([late.status, await late.text()]).toEqual([403, expect.stringContaining('Request has expired')]);
    } finally {
      own.close();
      guessed.close();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});

