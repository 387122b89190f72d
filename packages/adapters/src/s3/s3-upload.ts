import { err, ok, type Result } from 'neverthrow';
import type { S3Bucket } from './s3-bucket.js';
import { S3MultipartWriter, TooManyParts } from './s3-multipart-writer.js';
import { ByteMeter } from './s3-streams.js';

const MiB = 1024 * 1024;

export interface UploadTuning {
  /** Bytes per multipart part (S3 minimum 5 MiB, the default). */
  readonly partSize?: number;
  /**
   * Reusable part buffers, hence also the most parts in flight (default 3: two uploading while
   * the next fills). Memory for parts is at most partSize x queueSize, whatever the body's size.
   */
  readonly queueSize?: number;
}

export const DEFAULT_PART_SIZE = 5 * MiB;
export const DEFAULT_QUEUE_SIZE = 3;

export type UploadFailure =
  | { readonly kind: 'too_large' }
  /** The body itself threw (a client that broke off, a source that could not be read). */
  | { readonly kind: 'body'; readonly cause: unknown }
  | { readonly kind: 'store'; readonly cause: unknown };

/** Ends a body we stop reading early, which closes whatever it was reading (a socket, S3 objects). */
async function close(source: AsyncIterator<Uint8Array>): Promise<void> {
  try {
    await source.return?.();
  } catch {
    // Its own failure is not news: we are already reporting why we stopped.
  }
}

/**
 * Streams `body` into S3 through an S3MultipartWriter (one PutObject, or multipart past one part,
 * in a fixed set of reusable part buffers), measuring it on the way. Returns what was stored, or
 * why nothing was: on any failure the multipart upload is aborted before completion, so a refused
 * body never becomes an object.
 */
export async function streamUpload(
  s3: S3Bucket,
  key: string,
  body: AsyncIterable<Uint8Array>,
  options: UploadTuning & { readonly maxBytes?: number; readonly contentType?: string },
): Promise<Result<ByteMeter, UploadFailure>> {
  const meter = new ByteMeter();
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const writer = new S3MultipartWriter(s3, key, {
    partSize: options.partSize ?? DEFAULT_PART_SIZE,
    buffers: options.queueSize ?? DEFAULT_QUEUE_SIZE,
    contentType: options.contentType,
  });
  const fail = async (failure: UploadFailure): Promise<Result<ByteMeter, UploadFailure>> => {
    await writer.abort();
    return err(failure);
  };
  const source = body[Symbol.asyncIterator]();
  let drained = false;
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await source.next();
      } catch (cause) {
        drained = true;
        return await fail({ kind: 'body', cause });
      }
      if (next.done) break;
      if (meter.byteSize + next.value.byteLength > maxBytes) return await fail({ kind: 'too_large' });
      meter.update(next.value);
      await writer.write(next.value);
    }
    drained = true;
    await writer.end();
    return ok(meter);
  } catch (cause) {
    return await fail(cause instanceof TooManyParts ? { kind: 'too_large' } : { kind: 'store', cause });
  } finally {
    if (!drained) await close(source);
  }
}
