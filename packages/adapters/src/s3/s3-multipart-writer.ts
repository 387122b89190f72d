import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import type { S3Bucket } from './s3-bucket.js';
import { PartBuffers } from './part-buffers.js';

/** S3 takes at most 10,000 parts in one multipart upload. */
export const MAX_PARTS = 10_000;

/** The body needs more than MAX_PARTS parts of this size. */
export class TooManyParts extends Error {
  constructor(partSize: number) {
    super(`more than ${MAX_PARTS} parts of ${partSize} bytes`);
  }
}

export interface MultipartWriterOptions {
  /** Bytes per part; S3 refuses parts under 5 MiB (except the last) when the upload completes. */
  readonly partSize: number;
  /** Part buffers: at most this many parts in flight, and memory for parts is partSize x buffers. */
  readonly buffers: number;
  readonly contentType?: string | undefined;
}

/**
 * Writes one S3 object from bytes handed to it chunk by chunk, copying them into a fixed set of
 * reusable part buffers (see PartBuffers): one PutObject when the whole body fits in one part,
 * otherwise a multipart upload with a bounded number of parts in flight. Part bodies are Buffers
 * of exact length sent with ContentLength, so the SDK never streams them aws-chunked (docs/stack-notes.md).
 *
 * Methods throw what S3 or the SDK threw; after any failure (or to give up) call `abort()`,
 * which waits for the parts in flight and aborts the multipart upload, so no object appears.
 */
export class S3MultipartWriter {
  private readonly pool: PartBuffers;
  private current: { buffer: Buffer; filled: number } | null = null;
  private upload: { readonly id: string; readonly checksums: boolean } | null = null;
  private nextPartNumber = 1;
  private readonly parts: CompletedPart[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** The first part that failed; parts report here because nobody may be awaiting them when they fail. */
  private failure: { readonly cause: unknown } | null = null;

  constructor(
    private readonly s3: S3Bucket,
    private readonly key: string,
    private readonly options: MultipartWriterOptions,
  ) {
    this.pool = new PartBuffers(options.partSize, options.buffers);
  }

  /** Copies `chunk` into part buffers, sending each part as it fills; waits while every buffer is in use. */
  async write(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.byteLength) {
      this.current ??= { buffer: await this.freeBuffer(), filled: 0 };
      const part = this.current;
      const length = Math.min(this.options.partSize - part.filled, chunk.byteLength - offset);
      part.buffer.set(chunk.subarray(offset, offset + length), part.filled);
      part.filled += length;
      offset += length;
      if (part.filled === this.options.partSize) {
        this.current = null;
        await this.sendPart(part.buffer, part.filled);
      }
    }
  }

  /** Stores what was written: one PutObject if no part went out yet, else the last part and CompleteMultipartUpload. */
  async end(): Promise<void> {
    const last = this.current;
    this.current = null;
    if (this.nextPartNumber === 1) {
      const body = last ? last.buffer.subarray(0, last.filled) : Buffer.alloc(0);
      await this.s3.client.send(
        new PutObjectCommand({ Bucket: this.s3.bucket, Key: this.key, Body: body, ContentLength: body.byteLength, ...this.contentType() }),
      );
      return;
    }
    if (last && last.filled > 0) await this.sendPart(last.buffer, last.filled);
    await this.settled();
    this.throwIfFailed();
    const upload = this.upload;
    if (!upload) throw new Error('parts were sent without a multipart upload');
    const parts = [...this.parts].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    await this.s3.client.send(
      new CompleteMultipartUploadCommand({ Bucket: this.s3.bucket, Key: this.key, UploadId: upload.id, MultipartUpload: { Parts: parts } }),
    );
    this.upload = null;
  }

  /**
   * Gives up: waits for the parts in flight (so none lands after the abort), then aborts the
   * multipart upload, if one was started. Best effort: if the abort itself fails, the parts stay
   * until the bucket's lifecycle rule for incomplete uploads removes them; no object is created
   * either way. (s3rver 3.7.1 does not implement AbortMultipartUpload: it answers 405.)
   */
  async abort(): Promise<void> {
    await this.settled();
    const upload = this.upload;
    this.upload = null;
    if (!upload) return;
    await this.s3.client
      .send(new AbortMultipartUploadCommand({ Bucket: this.s3.bucket, Key: this.key, UploadId: upload.id }))
      .catch(() => undefined);
  }

  private contentType(): { ContentType?: string } {
    return this.options.contentType ? { ContentType: this.options.contentType } : {};
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.cause;
  }

  /** Waits for every part in flight; never rejects (failures are recorded in `failure`). */
  private async settled(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  /** A free part buffer, waiting for a part in flight to be stored when all are in use. */
  private async freeBuffer(): Promise<Buffer> {
    for (;;) {
      this.throwIfFailed();
      const buffer = this.pool.take();
      if (buffer) return buffer;
      if (this.inFlight.size === 0) throw new Error('every part buffer is in use and no part is in flight');
      await Promise.race(this.inFlight);
    }
  }

  /** Starts UploadPart for the first `length` bytes of `buffer`; the buffer returns to the pool once S3 has stored the part. */
  private async sendPart(buffer: Buffer, length: number): Promise<void> {
    this.throwIfFailed();
    if (this.nextPartNumber > MAX_PARTS) throw new TooManyParts(this.options.partSize);
    const upload = this.upload ?? (this.upload = await this.createUpload());
    const partNumber = this.nextPartNumber;
    this.nextPartNumber += 1;
    const sending = this.s3.client
      .send(
        new UploadPartCommand({
          Bucket: this.s3.bucket,
          Key: this.key,
          UploadId: upload.id,
          PartNumber: partNumber,
          Body: buffer.subarray(0, length),
          ContentLength: length,
          ...(upload.checksums ? { ChecksumAlgorithm: 'CRC32' as const } : {}),
        }),
      )
      .then(
        (output) => {
          if (!output.ETag) throw new Error(`S3 answered part ${partNumber} without an ETag`);
          this.parts.push({
            PartNumber: partNumber,
            ETag: output.ETag,
            ...(output.ChecksumCRC32 ? { ChecksumCRC32: output.ChecksumCRC32 } : {}),
          });
          this.pool.release(buffer);
        },
      )
      .catch((cause: unknown) => {
        this.failure ??= { cause };
      })
      .finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }

  /**
   * With checksum mode `when_supported` the SDK adds a CRC32 to every part; S3 then wants the
   * upload created with that algorithm and each part's checksum listed on completion (what
   * lib-storage does too).
   */
  private async createUpload(): Promise<{ id: string; checksums: boolean }> {
    const checksums = (await this.s3.client.config.requestChecksumCalculation()) === 'WHEN_SUPPORTED';
    const created = await this.s3.client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.s3.bucket,
        Key: this.key,
        ...this.contentType(),
        ...(checksums ? { ChecksumAlgorithm: 'CRC32' as const } : {}),
      }),
    );
    if (!created.UploadId) throw new Error(`S3 created a multipart upload for ${this.key} without an UploadId`);
    return { id: created.UploadId, checksums };
  }
}
