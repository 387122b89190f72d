import yauzl from 'yauzl';
import type { Readable } from 'node:stream';
import type { S3Bucket } from './s3-bucket.js';
import { bodyOf, getObject } from './s3-streams.js';

const READ_AHEAD = 64 * 1024;

export interface ByteWindow {
  readonly start: number;
  readonly bytes: Buffer;
}

/** A read past the end of the object: the ZIP's own offsets are wrong, S3 is fine. */
export class OutOfRange extends Error {}

/**
 * Random access to one S3 object for yauzl, through ranged GetObjects pinned to one ETag. Keeps
 * one read-ahead window, so walking the central directory costs a few requests, not three per
 * entry. A transport failure is kept in `transportFailure`, so the caller can tell "S3 is down"
 * from "this is not a ZIP".
 */
export class S3RangeReader extends yauzl.RandomAccessReader {
  transportFailure: unknown = null;
  private window: ByteWindow = { start: 0, bytes: Buffer.alloc(0) };

  constructor(
    private readonly s3: S3Bucket,
    private readonly key: string,
    private readonly size: number,
    private readonly etag: string | undefined,
  ) {
    super();
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    if (position < 0 || position + length > this.size) {
      callback(new OutOfRange(`read of ${length} bytes at ${position} is outside the ${this.size}-byte object`));
      return;
    }
    const cached = this.window;
    if (position >= cached.start && position + length <= cached.start + cached.bytes.length) {
      cached.bytes.copy(buffer, offset, position - cached.start, position - cached.start + length);
      callback(null);
      return;
    }
    const end = Math.min(this.size, position + Math.max(length, READ_AHEAD));
    this.fetch(position, end).then(
      (bytes) => {
        this.window = { start: position, bytes };
        bytes.copy(buffer, offset, 0, length);
        callback(null);
      },
      (cause: unknown) => {
        this.transportFailure ??= cause;
        callback(cause instanceof Error ? cause : new Error(String(cause)));
      },
    );
  }

  /** Not used for hashing (see ZipEntryHasher), but yauzl requires it. */
  override _readStreamForRange(start: number, end: number): Readable {
    throw new Error(`streaming ${start}-${end} through yauzl is not supported here`);
  }

  private async fetch(start: number, end: number): Promise<Buffer> {
    const output = await getObject(this.s3, this.key, { Range: `bytes=${start}-${end - 1}`, ...(this.etag ? { IfMatch: this.etag } : {}) });
    if (!output) throw new Error(`${this.key} disappeared during read-back`);
    const chunks: Buffer[] = [];
    for await (const chunk of bodyOf(output) as AsyncIterable<Buffer>) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    if (bytes.length !== end - start) throw new Error(`ranged read of ${end - start} bytes returned ${bytes.length}`);
    return bytes;
  }
}
