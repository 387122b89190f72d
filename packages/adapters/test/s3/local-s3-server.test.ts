import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectS3, S3ObjectStore, startLocalS3 } from '../../src/s3/index.js';
import { streamOf } from './support/images.js';

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
