import { Readable } from 'node:stream';
import { Upload } from '@aws-sdk/lib-storage';
import { err, ok, type Result } from 'neverthrow';
import type { S3Bucket } from './s3-bucket.js';
import { ByteMeter } from './s3-streams.js';

export interface UploadTuning {
  /** Bytes buffered per multipart part (S3 minimum 5 MiB); memory use is about partSize x queueSize. */
  readonly partSize?: number;
  readonly queueSize?: number;
}

export type UploadFailure =
  | { readonly kind: 'too_large' }
  /** The body itself threw (a client that broke off, a source that could not be read). */
  | { readonly kind: 'body'; readonly cause: unknown }
  | { readonly kind: 'store'; readonly cause: unknown };

/**
 * Streams `body` into S3 through a lib-storage Upload (one PutObject, or multipart past one part),
 * measuring it on the way. Returns what was stored, or why nothing was: the upload is aborted
 * before completion, so a refused body never becomes an object.
 */
export async function streamUpload(
  s3: S3Bucket,
  key: string,
  body: AsyncIterable<Uint8Array>,
  options: UploadTuning & { readonly maxBytes?: number; readonly contentType?: string },
): Promise<Result<ByteMeter, UploadFailure>> {
  const meter = new ByteMeter();
  const state: { failure: UploadFailure | null } = { failure: null };
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  async function* measured(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of body) {
        if (meter.byteSize + chunk.byteLength > maxBytes) {
          state.failure = { kind: 'too_large' };
          throw new Error(`more than ${maxBytes} bytes`);
        }
        meter.update(chunk);
        yield chunk;
      }
    } catch (cause) {
      state.failure ??= { kind: 'body', cause };
      throw cause;
    }
  }
  const stream = Readable.from(measured());
  const upload = new Upload({
    client: s3.client,
    params: { Bucket: s3.bucket, Key: key, Body: stream, ...(options.contentType ? { ContentType: options.contentType } : {}) },
    ...(options.partSize ? { partSize: options.partSize } : {}),
    ...(options.queueSize ? { queueSize: options.queueSize } : {}),
  });
  try {
    await upload.done();
    return ok(meter);
  } catch (cause) {
    return err(state.failure ?? { kind: 'store', cause });
  } finally {
    // Ends the generator too, which closes whatever source it was reading.
    stream.destroy();
  }
}
