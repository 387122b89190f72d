import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { Zip } from 'fflate';
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import {
  domainError,
  type PackageEntry,
  type PackageFacts,
  type Packager,
  type PackagerError,
  type PackageSource,
} from '@selfie-lora/core';
import type { S3Bucket } from './s3-bucket.js';
import { isMissingObject, storeError } from './s3-errors.js';
import { OutOfRange, S3RangeReader } from './s3-range-reader.js';
import { bodyOf, ByteMeter, getObject } from './s3-streams.js';
import { streamUpload, type UploadTuning } from './s3-upload.js';
import { readCentralDirectory } from './zip-central-directory.js';
import { ZipEntryHasher } from './zip-entry-hasher.js';
import { StoredZipEntry } from './stored-zip-entry.js';

/** A fixed timestamp (local time, as ZIP stores it) so the same photos always make the same bytes. */
const ENTRY_TIME = new Date(2000, 0, 1);

class MissingSource extends Error {
  constructor(readonly source: PackageSource) {
    super(`no object ${source.key} for entry ${source.name}`);
  }
}

/**
 * Packs photos from S3 into one stored (uncompressed) ZIP, one entry at a time: each photo is
 * read from GetObject as the multipart upload asks for more bytes, so memory stays at the
 * upload's part buffers whatever the set size. Entries and the whole archive are hashed on the way.
 */
async function* zipStream(s3: S3Bucket, sources: readonly PackageSource[], written: PackageEntry[]): AsyncGenerator<Uint8Array> {
  const pending: Uint8Array[] = [];
  const state: { failure: Error | null } = { failure: null };
  const zip = new Zip((error, chunk) => {
    if (error) state.failure = error;
    else pending.push(chunk);
  });
  const flush = function* (): Generator<Uint8Array> {
    if (state.failure) throw state.failure;
    yield* pending.splice(0, pending.length);
  };
  for (const source of sources) {
    const object = await getObject(s3, source.key);
    if (!object) throw new MissingSource(source);
    const body = bodyOf(object);
    const entry = new StoredZipEntry(source.name);
    entry.mtime = ENTRY_TIME;
    zip.add(entry);
    const meter = new ByteMeter();
    try {
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        meter.update(chunk);
        entry.push(chunk);
        yield* flush();
      }
    } finally {
      body.destroy();
    }
    entry.push(new Uint8Array(0), true);
    yield* flush();
    written.push({ name: source.name, sha256: meter.digest(), byteSize: meter.byteSize });
  }
  zip.end();
  yield* flush();
}

/** The `Packager` port over S3: streaming fflate ZIPs in, central-directory verification out. */
export class S3Packager implements Packager {
  constructor(
    private readonly s3: S3Bucket,
    private readonly tuning: UploadTuning = {},
  ) {}

  build(key: string, sources: readonly PackageSource[]): ResultAsync<PackageFacts, PackagerError> {
    const entries: PackageEntry[] = [];
    const upload = streamUpload(this.s3, key, zipStream(this.s3, sources, entries), { ...this.tuning, contentType: 'application/zip' });
    return new ResultAsync(
      upload.then((result) =>
        result
          .map((meter): PackageFacts => ({ key, sha256: meter.digest(), byteSize: meter.byteSize, entries }))
          .mapErr((failure): PackagerError => {
            if (failure.kind === 'body' && failure.cause instanceof MissingSource) {
              return domainError('verify.object_missing', failure.cause.message);
            }
            if (failure.kind === 'too_large') return domainError('storage.unavailable', `package ${key} refused as too large`);
            return storeError(failure.cause, `package ${key}`);
          }),
      ),
    );
  }

  readBack(key: string): ResultAsync<PackageFacts, PackagerError> {
    return new ResultAsync(
      this.inspectZip(key).catch((cause: unknown) => err<PackageFacts, PackagerError>(storeError(cause, `read back ${key}`))),
    );
  }

  private async inspectZip(key: string): Promise<Result<PackageFacts, PackagerError>> {
    const head = await this.head(key);
    if (head.isErr()) return err(head.error);
    const { size, etag } = head.value;
    const reader = new S3RangeReader(this.s3, key, size, etag);
    const directory = await readCentralDirectory(reader, size);
    if (directory.isErr()) {
      // A transport failure under yauzl is S3's trouble, not the ZIP's.
      const transport: unknown = reader.transportFailure;
      if (transport !== null && !(transport instanceof OutOfRange)) return err(storeError(transport, `read back ${key}`));
      return err(domainError('package.unreadable', `${key}: ${directory.error}`));
    }
    const object = await getObject(this.s3, key, etag ? { IfMatch: etag } : {});
    if (!object) return err(domainError('package.missing', `${key} disappeared during read-back`));
    const whole = new ByteMeter();
    const hasher = new ZipEntryHasher(directory.value, size);
    for await (const chunk of bodyOf(object) as AsyncIterable<Uint8Array>) {
      whole.update(chunk);
      hasher.write(chunk);
    }
    if (whole.byteSize !== size) {
      return err(domainError('package.unreadable', `${key} changed size during read-back: ${whole.byteSize} != ${size}`));
    }
    return hasher
      .finish()
      .map((entries): PackageFacts => ({ key, sha256: whole.digest(), byteSize: whole.byteSize, entries }))
      .mapErr((reason) => domainError('package.unreadable', `${key}: ${reason}`));
  }

  /**
   * Size and ETag. HEAD answers a bare 404 for a missing key and a missing bucket alike, so a 404
   * is confirmed with a GET, which names which one is missing.
   */
  private async head(key: string): Promise<Result<{ size: number; etag: string | undefined }, PackagerError>> {
    try {
      const head = await this.s3.client.send(new HeadObjectCommand({ Bucket: this.s3.bucket, Key: key }));
      return ok({ size: head.ContentLength ?? 0, etag: head.ETag });
    } catch (cause) {
      if (!isMissingObject(cause)) throw cause;
      const object = await getObject(this.s3, key);
      if (!object) return err(domainError('package.missing', `no object ${key}`));
      bodyOf(object).destroy();
      return ok({ size: object.ContentLength ?? 0, etag: object.ETag });
    }
  }
}
