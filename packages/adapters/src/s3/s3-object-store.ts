import {
  GetBucketVersioningCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { err, errAsync, ok, ResultAsync, type Result } from 'neverthrow';
import {
  domainError,
  transientError,
  type ByteStream,
  type DomainError,
  type ListedObject,
  type ListedPage,
  type ObjectFacts,
  type ObjectStore,
  type PutFacts,
  type StoreError,
} from '@selfie-lora/core';
import type { S3Bucket } from './s3-bucket.js';
import { isMissingObject, storeError } from './s3-errors.js';
import { listObjects, listObjectsPage, type ListTuning } from './s3-listing.js';
import { bodyOf, ByteMeter, getObject } from './s3-streams.js';
import { streamUpload, type UploadTuning } from './s3-upload.js';

const HEAD_BYTES = 4096;
/** S3 refuses presigned URLs valid for longer than 7 days. */
const MAX_TTL_SECONDS = 7 * 24 * 3600;

export type PutError = StoreError | DomainError<'storage.too_large'>;

export type S3ObjectStoreTuning = UploadTuning & ListTuning;

/** The `ObjectStore` port over an S3 bucket: every fact is measured from the bytes themselves. */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly s3: S3Bucket,
    private readonly tuning: S3ObjectStoreTuning = {},
  ) {}

  put(key: string, body: ByteStream, options: { readonly maxBytes: number }): ResultAsync<PutFacts, PutError> {
    return new ResultAsync(
      streamUpload(this.s3, key, body, { ...this.tuning, maxBytes: options.maxBytes }).then((result) =>
        result
          .map((meter) => ({ key, byteSize: meter.byteSize, sha256: meter.digest() }))
          .mapErr((failure): PutError => {
            if (failure.kind === 'too_large') return domainError('storage.too_large', `${key}: over ${options.maxBytes} bytes`);
            if (failure.kind === 'body') return transientError('storage.unavailable', `${key}: the body broke off: ${String(failure.cause)}`);
            return storeError(failure.cause, `put ${key}`);
          }),
      ),
    );
  }

  inspect(key: string): ResultAsync<ObjectFacts, StoreError> {
    const measure = async (): Promise<ObjectFacts> => {
      const output = await getObject(this.s3, key);
      if (!output) return { exists: false };
      const meter = new ByteMeter();
      const head = Buffer.alloc(HEAD_BYTES);
      for await (const chunk of bodyOf(output) as AsyncIterable<Buffer>) {
        if (meter.byteSize < HEAD_BYTES) chunk.copy(head, meter.byteSize, 0, HEAD_BYTES - meter.byteSize);
        meter.update(chunk);
      }
      return {
        exists: true,
        byteSize: meter.byteSize,
        sha256: meter.digest(),
        head: new Uint8Array(head.subarray(0, Math.min(meter.byteSize, HEAD_BYTES))),
      };
    };
    return ResultAsync.fromPromise(measure(), (cause) => storeError(cause, `inspect ${key}`));
  }

  read(key: string): ResultAsync<ByteStream | null, StoreError> {
    return ResultAsync.fromPromise(
      getObject(this.s3, key).then((output): ByteStream | null => (output ? bodyOf(output) : null)),
      (cause) => storeError(cause, `read ${key}`),
    );
  }

  delete(key: string): ResultAsync<void, StoreError> {
    return ResultAsync.fromPromise(
      this.s3.client.send(new DeleteObjectCommand({ Bucket: this.s3.bucket, Key: key })).then(
        () => undefined,
        (cause: unknown) => {
          if (isMissingObject(cause)) return undefined;
          throw cause;
        },
      ),
      (cause) => storeError(cause, `delete ${key}`),
    );
  }

  list(prefix: string): ResultAsync<readonly ListedObject[], StoreError> {
    return listObjects(this.s3, prefix, this.tuning);
  }

  listPage(prefix: string, startAfter: string | null, limit: number): ResultAsync<ListedPage, StoreError> {
    return listObjectsPage(this.s3, prefix, startAfter, limit);
  }

  signedGetUrl(key: string, ttlSeconds: number): ResultAsync<string, StoreError> {
    return this.presign(new GetObjectCommand({ Bucket: this.s3.bucket, Key: key }), ttlSeconds);
  }

  /**
   * A time-limited PUT URL for direct uploads. The port's form gives `contentLength`: the length
   * is then a signed header (`X-Amz-SignedHeaders` names `content-length`), so S3 refuses a body
   * of any other size, and nothing larger than the declared (and judged) size can be staged. With
   * `maxBytes` too, a length over it is refused before signing (`storage.too_large`). Without a
   * length nothing caps the size (a presigned PUT carries no maximum): whatever arrives counts
   * only once it is read back server side. s3rver checks no presigned signature at all, so only
   * real S3 enforces the signed length.
   */
  signedPutUrl(
    key: string,
    ttlSeconds: number,
    options?: { readonly contentLength?: number; readonly maxBytes?: undefined },
  ): ResultAsync<string, StoreError>;
  signedPutUrl(
    key: string,
    ttlSeconds: number,
    options: { readonly contentLength: number; readonly maxBytes?: number },
  ): ResultAsync<string, PutError>;
  signedPutUrl(
    key: string,
    ttlSeconds: number,
    options: { readonly contentLength?: number; readonly maxBytes?: number } = {},
  ): ResultAsync<string, PutError> {
    const { contentLength, maxBytes } = options;
    if (contentLength !== undefined && (!Number.isSafeInteger(contentLength) || contentLength < 0)) {
      return errAsync(domainError('storage.unavailable', `invalid content length ${contentLength}`));
    }
    if (contentLength !== undefined && maxBytes !== undefined && contentLength > maxBytes) {
      return errAsync(domainError('storage.too_large', `${key}: ${contentLength} > ${maxBytes} bytes`));
    }
    const command = new PutObjectCommand({
      Bucket: this.s3.bucket,
      Key: key,
      ...(contentLength !== undefined ? { ContentLength: contentLength } : {}),
    });
    return this.presign(command, ttlSeconds);
  }

  /** Creates the bucket, or checks it is there; tolerant of servers that refuse one of the two. */
  ensureBucket(): ResultAsync<void, StoreError> {
    const Bucket = this.s3.bucket;
    const ensure = async (): Promise<Result<void, StoreError>> => {
      try {
        await this.s3.client.send(new HeadBucketCommand({ Bucket }));
        return ok(undefined);
      } catch (headCause) {
        try {
          await this.s3.client.send(new CreateBucketCommand({ Bucket }));
          return ok(undefined);
        } catch (createCause) {
          if ((createCause as { name?: unknown }).name === 'BucketAlreadyOwnedByYou') return ok(undefined);
          return err(storeError(createCause, `create bucket ${Bucket} (HeadBucket said ${String(headCause)})`));
        }
      }
    };
    return new ResultAsync(ensure());
  }

  /**
   * Refuses a bucket that keeps old versions (versioning enabled or suspended): there a delete
   * only adds a delete marker and the photo's bytes stay, so no erasure would be real. A store
   * that does not implement versioning (s3rver) keeps none.
   */
  checkUnversioned(): ResultAsync<void, StoreError> {
    const Bucket = this.s3.bucket;
    const check = async (): Promise<Result<void, StoreError>> => {
      try {
        const answer = await this.s3.client.send(new GetBucketVersioningCommand({ Bucket }));
        if (answer.Status === 'Enabled' || answer.Status === 'Suspended') {
          return err(
            domainError(
              'storage.unavailable',
              `bucket ${Bucket} has versioning ${answer.Status.toLowerCase()}: a delete would leave every photo's bytes behind as an old version`,
            ),
          );
        }
        return ok(undefined);
      } catch (cause) {
        if ((cause as { name?: unknown }).name === 'NotImplemented') return ok(undefined);
        return err(storeError(cause, `read versioning of bucket ${Bucket}`));
      }
    };
    return new ResultAsync(check());
  }

  private presign(command: GetObjectCommand | PutObjectCommand, ttlSeconds: number): ResultAsync<string, StoreError> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) {
      return errAsync(domainError('storage.unavailable', `invalid signed URL lifetime ${ttlSeconds} s`));
    }
    return ResultAsync.fromPromise(getSignedUrl(this.s3.presigner, command, { expiresIn: ttlSeconds }), (cause) =>
      domainError('storage.unavailable', `presign: ${String(cause)}`),
    );
  }
}
