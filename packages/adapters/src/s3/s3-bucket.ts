import { S3Client } from '@aws-sdk/client-s3';

export type S3ChecksumMode = 'when_required' | 'when_supported';

export interface S3StoreConfig {
  /** Omit for AWS itself; set for S3-compatible stores (s3rver, MinIO, R2...). */
  readonly endpoint?: string | undefined;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly forcePathStyle: boolean;
  /**
   * `when_required` is what S3-compatible stores accept. With `when_supported` the SDK sends
   * streamed bodies aws-chunked, which some of them (s3rver) store framing and all: see docs/stack-notes.md.
   */
  readonly checksumMode: S3ChecksumMode;
  /** SDK attempts per request (the SDK retries transient failures with backoff); default 3. */
  readonly maxAttempts?: number | undefined;
  readonly connectTimeoutMs?: number | undefined;
  /** A socket idle this long is dropped; default 60 s. */
  readonly idleTimeoutMs?: number | undefined;
}

/** One bucket and the clients that talk to it, shared by the object store and the packager. */
export interface S3Bucket {
  readonly bucket: string;
  readonly client: S3Client;
  /**
   * Presigning always uses `WHEN_REQUIRED`: with `WHEN_SUPPORTED` the SDK bakes the CRC32 of an
   * empty body into a presigned PUT (`x-amz-checksum-crc32=AAAAAA==`), so real S3 would refuse
   * every real upload through it.
   */
  readonly presigner: S3Client;
  /** Closes the clients' sockets. */
  close(): void;
}

function client(config: S3StoreConfig, mode: S3ChecksumMode): S3Client {
  const checksum = mode === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  return new S3Client({
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    requestChecksumCalculation: checksum,
    responseChecksumValidation: checksum,
    maxAttempts: config.maxAttempts ?? 3,
    requestHandler: {
      connectionTimeout: config.connectTimeoutMs ?? 5_000,
      requestTimeout: config.idleTimeoutMs ?? 60_000,
    },
  });
}

export function connectS3(config: S3StoreConfig): S3Bucket {
  const main = client(config, config.checksumMode);
  const presigner = client(config, 'when_required');
  return {
    bucket: config.bucket,
    client: main,
    presigner,
    close: () => {
      main.destroy();
      presigner.destroy();
    },
  };
}
