import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalS3, type LocalS3 } from '@selfie-lora/local-stack';
import { connectS3, S3ObjectStore, S3Packager, type S3Bucket, type S3ChecksumMode, type S3StoreConfig } from '../../../src/s3/index.js';

export interface S3Fixture {
  readonly server: LocalS3;
  readonly config: S3StoreConfig;
  readonly s3: S3Bucket;
  readonly store: S3ObjectStore;
  readonly packager: S3Packager;
  /** Another client on the same bucket, for the given checksum mode. */
  connect(mode: S3ChecksumMode): S3Bucket;
  close(): Promise<void>;
}

/** A fresh s3rver in its own temp directory, a bucket, and the adapters over it. */
export async function startS3Fixture(options: { checksumMode?: S3ChecksumMode; maxAttempts?: number } = {}): Promise<S3Fixture> {
  const directory = await mkdtemp(join(tmpdir(), 'selfie-s3-'));
  const server = await startLocalS3({ directory });
  const config: S3StoreConfig = {
    endpoint: server.endpoint,
    region: server.region,
    bucket: 'photos',
    accessKeyId: server.credentials.accessKeyId,
    secretAccessKey: server.credentials.secretAccessKey,
    forcePathStyle: true,
    checksumMode: options.checksumMode ?? 'when_required',
    maxAttempts: options.maxAttempts,
  };
  const clients: S3Bucket[] = [];
  const connect = (mode: S3ChecksumMode): S3Bucket => {
    const bucket = connectS3({ ...config, checksumMode: mode });
    clients.push(bucket);
    return bucket;
  };
  const s3 = connect(config.checksumMode);
  const store = new S3ObjectStore(s3);
  (await store.ensureBucket())._unsafeUnwrap();
  return {
    server,
    config,
    s3,
    store,
    packager: new S3Packager(s3),
    connect,
    close: async () => {
      for (const client of clients) client.close();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
