import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectS3, S3ObjectStore } from '@selfie-lora/adapters/s3';
import { startLocalS3 } from '../../src/s3/local-s3-server.js';

const PAGE = 'http://127.0.0.1:3000';

/** What a browser sends before a cross-origin PUT with a Content-Type (not a CORS-safelisted one). */
function preflight(url: string, origin: string, headers = 'content-type'): Promise<Response> {
  return fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': headers } });
}

describe('startLocalS3 lets the web app PUT to presigned URLs (CORS)', { timeout: 30_000 }, () => {
  it('passes the preflight of an allowed origin, takes the signed PUT and exposes its ETag; refuses other origins', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'selfie-local-s3-'));
    const server = await startLocalS3({ directory, buckets: ['photos'], corsOrigins: [PAGE] });
    const s3 = connectS3({ ...server.credentials, endpoint: server.endpoint, region: server.region, bucket: 'photos', forcePathStyle: true, checksumMode: 'when_required', maxAttempts: 1 });
    try {
      const store = new S3ObjectStore(s3);
      const bytes = new Uint8Array([255, 216, 255, 224, 1, 2, 3, 4]);
      const url = (await store.signedPutUrl('staging/owner/slot', 60, { contentLength: bytes.byteLength }))._unsafeUnwrap();

      const allowed = await preflight(url, PAGE);
      expect(allowed.status, await allowed.clone().text()).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toMatch(/^(\*|http:\/\/127\.0\.0\.1:3000)$/);
      expect(allowed.headers.get('access-control-allow-methods')).toContain('PUT');
      expect(allowed.headers.get('access-control-allow-headers')).toBe('content-type');

      const put = await fetch(url, { method: 'PUT', headers: { origin: PAGE, 'content-type': 'image/jpeg', 'content-length': String(bytes.byteLength) }, body: bytes });
      expect(put.status, await put.clone().text()).toBe(200);
      expect(put.headers.get('access-control-allow-origin')).toBe(PAGE);
      expect(put.headers.get('access-control-expose-headers')).toBe('ETag');
      expect(put.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
      const facts = (await store.inspect('staging/owner/slot'))._unsafeUnwrap();
      expect(facts.exists && facts.byteSize).toBe(bytes.byteLength);

      const elsewhere = await preflight(url, 'http://evil.example');
      expect(elsewhere.status).toBe(403);
      expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
      const otherHeader = await preflight(url, PAGE, 'content-type, x-amz-acl');
      expect(otherHeader.status).toBe(403);

      // A preflight is no way around the signature: an OPTIONS without one changes nothing, and a
      // PUT from the page without a valid signature is still refused.
      const unsigned = await fetch(`${server.endpoint}/photos/planted`, { method: 'PUT', headers: { origin: PAGE }, body: 'x' });
      expect(unsigned.status).toBe(403);
      expect((await store.inspect('planted'))._unsafeUnwrap()).toEqual({ exists: false });
    } finally {
      s3.close();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('answers no CORS at all without corsOrigins', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'selfie-local-s3-'));
    const server = await startLocalS3({ directory, buckets: ['photos'] });
    try {
      const refused = await preflight(`${server.endpoint}/photos/any`, PAGE);
      expect(refused.status).toBe(403);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
