import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartBuffers } from '../../src/s3/part-buffers.js';
import { S3MultipartWriter } from '../../src/s3/s3-multipart-writer.js';
import { streamUpload } from '../../src/s3/s3-upload.js';
import type { S3Bucket, S3ChecksumMode } from '../../src/s3/index.js';
import { internalError, logCommands } from './support/command-log.js';
import { noiseBytes, sha256Of } from '@selfie-lora/testkit/photos';
import { startS3Fixture, type S3Fixture } from './support/local-s3.js';
import { MultipartLedger } from './support/multipart-ledger.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;

/** `bytes` in chunks of `chunkSize`; `closed` turns true if the reader stops early (the generator's finally runs). */
function chunked(bytes: Uint8Array, chunkSize: number, options: { failAfter?: number } = {}): AsyncIterable<Uint8Array> & { closed: boolean } {
  const body = {
    closed: false,
    async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
      let sent = 0;
      try {
        for (let offset = 0; offset < bytes.byteLength; offset += chunkSize) {
          if (options.failAfter !== undefined && sent >= options.failAfter) throw new Error('the source broke off');
          const chunk = bytes.subarray(offset, offset + chunkSize);
          sent += chunk.byteLength;
          yield chunk;
          await Promise.resolve();
        }
      } finally {
        if (sent < bytes.byteLength) body.closed = true;
      }
    },
  };
  return body;
}

async function stored(fixture: S3Fixture, key: string): Promise<{ byteSize: number; sha256: string } | null> {
  const facts = (await fixture.store.inspect(key))._unsafeUnwrap();
  return facts.exists ? { byteSize: facts.byteSize, sha256: facts.sha256 } : null;
}

describe('PartBuffers', () => {
  it('hands out at most `count` buffers, allocated on first use, and gives released ones back', () => {
    const pool = new PartBuffers(1024, 2);
    expect(pool.allocatedCount).toBe(0);
    const first = pool.take();
    const second = pool.take();
    expect([first?.byteLength, second?.byteLength, pool.allocatedCount]).toEqual([1024, 1024, 2]);
    expect(pool.take()).toBeNull();
    pool.release(first!);
    expect(pool.take()).toBe(first);
    expect(pool.allocatedCount).toBe(2);
  });

  it('refuses a size or count that is not a positive integer', () => {
    expect(() => new PartBuffers(0, 2)).toThrow(RangeError);
    expect(() => new PartBuffers(1024, 0)).toThrow(RangeError);
    expect(() => new PartBuffers(1.5, 1)).toThrow(RangeError);
  });
});

// Generous timeouts: these talk to a real server, and `npm test` runs many suites at once.
describe('streamUpload through the part writer, on s3rver', { timeout: 60_000 }, () => {
  let fixture: S3Fixture;
  const clients: S3Bucket[] = [];
  beforeAll(async () => {
    fixture = await startS3Fixture();
  });
  afterAll(async () => {
    await fixture?.close();
  });
  /** A client of its own, so a test's command log sees only its own requests. */
  const connect = (mode: S3ChecksumMode = 'when_required'): S3Bucket => {
    const s3 = fixture.connect(mode);
    clients.push(s3);
    return s3;
  };

  it('sends parts as exact-length Buffers cut from a fixed set of reused buffers, at most queueSize in flight', async () => {
    const s3 = connect();
    // Slow parts: the body could fill many buffers meanwhile, so only the pool holds it back.
    const log = logCommands(s3, (command) => (command.name === 'UploadPartCommand' ? sleep(100) : undefined));
    const bytes = noiseBytes(4 * PART + 123_457, 1);
    const result = await streamUpload(s3, 'writer/parts.bin', chunked(bytes, 100_003), { queueSize: 2 });
    log.stop();
    expect(result._unsafeUnwrap().byteSize).toBe(bytes.byteLength);
    expect(result._unsafeUnwrap().digest()).toBe(sha256Of(bytes));
    expect(await stored(fixture, 'writer/parts.bin')).toEqual({ byteSize: bytes.byteLength, sha256: sha256Of(bytes) });

    expect(log.names()).toEqual(['CreateMultipartUploadCommand', ...Array<string>(5).fill('UploadPartCommand'), 'CompleteMultipartUploadCommand']);
    const parts = log.inputs('UploadPartCommand');
    expect(parts.map((part) => [part['PartNumber'], part['ContentLength']])).toEqual([
      [1, PART],
      [2, PART],
      [3, PART],
      [4, PART],
      [5, 123_457],
    ]);
    for (const part of parts) {
      const body = part['Body'] as Buffer;
      expect(Buffer.isBuffer(body)).toBe(true);
      expect(body.byteLength).toBe(part['ContentLength']);
    }
    // Five parts, two buffers: each buffer carried more than one part.
    expect(new Set(parts.map((part) => (part['Body'] as Buffer).buffer)).size).toBe(2);
    expect(log.maxInFlight('UploadPartCommand')).toBe(2);
  });

  it('stores bodies around the part boundary exactly: one PutObject while the body fits one part', async () => {
    const s3 = connect();
    for (const size of [0, 1, PART - 1, PART, PART + 1, 2 * PART]) {
      const log = logCommands(s3);
      const bytes = noiseBytes(size, size + 7);
      const key = `writer/boundary-${size}.bin`;
      expect((await streamUpload(s3, key, chunked(bytes, 64 * 1024), {}))._unsafeUnwrap().byteSize).toBe(size);
      log.stop();
      expect(await stored(fixture, key)).toEqual({ byteSize: size, sha256: sha256Of(bytes) });
      const parts = Math.ceil(size / PART);
      expect(log.names()).toEqual(
        size < PART
          ? ['PutObjectCommand']
          : ['CreateMultipartUploadCommand', ...Array<string>(parts).fill('UploadPartCommand'), 'CompleteMultipartUploadCommand'],
      );
      if (size < PART) expect(log.inputs('PutObjectCommand')[0]?.['ContentLength']).toBe(size);
    }
  });

  it('aborts the upload when S3 refuses a part: a store failure, the abort names the upload, no object, the body is closed', async () => {
    const s3 = connect();
    const refused = internalError();
    const log = logCommands(s3, (command) => {
      if (command.name === 'UploadPartCommand' && command.input['PartNumber'] === 2) throw refused;
    });
    const body = chunked(noiseBytes(6 * PART, 3), 256 * 1024);
    const failure = (await streamUpload(s3, 'writer/refused.bin', body, { queueSize: 2 }))._unsafeUnwrapErr();
    log.stop();
    expect(failure).toEqual({ kind: 'store', cause: refused });
    expect(body.closed).toBe(true);
    expect(await stored(fixture, 'writer/refused.bin')).toBeNull();
    const created = log.events.findIndex((event) => event.name === 'CreateMultipartUploadCommand' && event.phase === 'end');
    expect(created).toBeGreaterThanOrEqual(0);
    const aborts = log.inputs('AbortMultipartUploadCommand');
    expect(aborts).toHaveLength(1);
    expect(aborts[0]?.['UploadId']).toBe(log.inputs('UploadPartCommand')[0]?.['UploadId']);
    expect(log.names()).not.toContain('CompleteMultipartUploadCommand');
    // Nothing was still uploading when the abort went out.
    const abortAt = log.events.findIndex((event) => event.name === 'AbortMultipartUploadCommand');
    const partStarts = log.events.filter((event) => event.name === 'UploadPartCommand' && event.phase === 'start').length;
    const partEnds = log.events.slice(0, abortAt).filter((event) => event.name === 'UploadPartCommand' && event.phase !== 'start').length;
    expect(partEnds).toBe(partStarts);
  });

  it('aborts the upload when the body breaks off after parts went out', async () => {
    const s3 = connect();
    const log = logCommands(s3);
    const failure = (await streamUpload(s3, 'writer/broken.bin', chunked(noiseBytes(4 * PART, 4), MiB, { failAfter: 2 * PART + MiB }), {}))._unsafeUnwrapErr();
    log.stop();
    expect(failure.kind).toBe('body');
    expect(failure.kind === 'body' && String(failure.cause)).toMatch(/broke off/);
    expect(log.inputs('UploadPartCommand')).toHaveLength(2);
    expect(log.names()).toContain('AbortMultipartUploadCommand');
    expect(log.names()).not.toContain('CompleteMultipartUploadCommand');
    expect(await stored(fixture, 'writer/broken.bin')).toBeNull();
  });

  it('refuses a body over maxBytes after parts went out: too_large, aborted, no object, the body is closed', async () => {
    const s3 = connect();
    const log = logCommands(s3);
    const body = chunked(noiseBytes(3 * PART, 5), MiB);
    const failure = (await streamUpload(s3, 'writer/large.bin', body, { maxBytes: 2 * PART + 10 }))._unsafeUnwrapErr();
    log.stop();
    expect(failure).toEqual({ kind: 'too_large' });
    expect(body.closed).toBe(true);
    expect(log.inputs('UploadPartCommand')).toHaveLength(2);
    expect(log.names()).toContain('AbortMultipartUploadCommand');
    expect(await stored(fixture, 'writer/large.bin')).toBeNull();
  });

  it.each<S3ChecksumMode>(['when_required', 'when_supported'])('stores a multipart body exactly in checksum mode %s (parts are never sent aws-chunked)', async (mode) => {
    const s3 = connect(mode);
    const log = logCommands(s3);
    const bytes = noiseBytes(PART + 4321, 6);
    const key = `writer/mode-${mode}.bin`;
    (await streamUpload(s3, key, chunked(bytes, 64 * 1024), { contentType: 'application/zip' }))._unsafeUnwrap();
    log.stop();
    expect(await stored(fixture, key)).toEqual({ byteSize: bytes.byteLength, sha256: sha256Of(bytes) });
    const create = log.inputs('CreateMultipartUploadCommand')[0];
    expect(create?.['ContentType']).toBe('application/zip');
    expect(create?.['ChecksumAlgorithm']).toBe(mode === 'when_supported' ? 'CRC32' : undefined);
  });
});

describe('S3MultipartWriter against a model of S3 multipart bookkeeping', () => {
  const SMALL = 1000;

  async function write(writer: S3MultipartWriter, bytes: Uint8Array, chunkSize: number): Promise<void> {
    for (let offset = 0; offset < bytes.byteLength; offset += chunkSize) await writer.write(bytes.subarray(offset, offset + chunkSize));
  }

  it('completes with the bytes written although every part buffer is refilled many times', async () => {
    const ledger = new MultipartLedger({ partMs: 3 });
    const bytes = noiseBytes(20 * SMALL + 17, 7);
    const writer = new S3MultipartWriter(ledger.s3, 'k', { partSize: SMALL, buffers: 2 });
    await write(writer, bytes, 333);
    await writer.end();
    expect(ledger.objects.get('k')?.equals(bytes)).toBe(true);
    expect(ledger.open.size).toBe(0);
  });

  it.each([1, 2, 9])('leaves no open upload and no object when S3 refuses part %i', async (refusedPart) => {
    const ledger = new MultipartLedger({ failParts: [refusedPart], partMs: 3 });
    const writer = new S3MultipartWriter(ledger.s3, 'k', { partSize: SMALL, buffers: 3 });
    const written = (async () => {
      await write(writer, noiseBytes(12 * SMALL, 8), 250);
      await writer.end();
    })();
    await expect(written).rejects.toMatchObject({ name: 'InternalError' });
    await writer.abort();
    // Time for any part still travelling to arrive, to catch an abort that did not wait for it.
    await sleep(30);
    expect(ledger.open.size).toBe(0);
    expect(ledger.aborted).toHaveLength(1);
    expect(ledger.objects.size).toBe(0);
    // The abort waited for the parts in flight: none arrived for an upload already aborted.
    expect(ledger.lateParts).toEqual([]);
  });

  it('aborts when CompleteMultipartUpload fails', async () => {
    const ledger = new MultipartLedger({ failComplete: true });
    const failure = await streamUpload(ledger.s3, 'k', chunked(noiseBytes(3 * SMALL, 9), 100), { partSize: SMALL });
    expect(failure._unsafeUnwrapErr().kind).toBe('store');
    expect([ledger.open.size, ledger.aborted.length, ledger.objects.size]).toEqual([0, 1, 0]);
  });

  it('gives up on a body that stops midway without leaving an upload open', async () => {
    const ledger = new MultipartLedger({ partMs: 5 });
    const failure = await streamUpload(ledger.s3, 'k', chunked(noiseBytes(10 * SMALL, 10), 100, { failAfter: 5 * SMALL + 50 }), { partSize: SMALL });
    expect(failure._unsafeUnwrapErr().kind).toBe('body');
    await sleep(30);
    expect([ledger.open.size, ledger.aborted.length, ledger.objects.size, ledger.lateParts.length]).toEqual([0, 1, 0, 0]);
  });
});
