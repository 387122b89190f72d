import { Readable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  newUpload,
  OwnerId,
  trusted,
  uploadKey,
  UploadId,
  verifyUploads,
  type Sha256,
  type Upload,
} from '@selfie-lora/core';
import { restoreTrainingSet } from '@selfie-lora/core/persistence';
import { SharpImageInspector } from '../../src/images/sharp-image-inspector.js';
import { S3ObjectStore, type S3Bucket, type S3ChecksumMode } from '../../src/s3/index.js';
import { sha256Of, streamOf, texturedPhoto } from '@selfie-lora/testkit/photos';
import { startS3Fixture, type S3Fixture } from './support/local-s3.js';

// docs/stack-notes.md: with checksum mode WHEN_SUPPORTED the SDK sends a streamed body aws-chunked, and
// s3rver stores the chunk framing as part of the object while answering 200. These tests show
// the corruption happens, that inspect() measures the stored bytes (not the bytes sent), and that
// I2 verification therefore refuses the photo.

const owner = OwnerId.parse('checksum-owner')._unsafeUnwrap();
const inspector = new SharpImageInspector();

/** A PutObject with a stream body, as the SDK sends any streamed copy (not our put()). */
async function streamedPutObject(s3: S3Bucket, key: string, bytes: Uint8Array): Promise<void> {
  await s3.client.send(
    new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: Readable.from(streamOf(bytes)), ContentLength: bytes.byteLength }),
  );
}

/** The upload row as registered when the photo was first stored correctly. */
function uploadFor(id: UploadId, bytes: Uint8Array): Upload {
  return newUpload({
    id,
    ownerId: owner,
    sha256: trusted<Sha256>(sha256Of(bytes)),
    byteSize: bytes.byteLength,
    facts: { contentType: 'image/jpeg', width: 200, height: 200 },
    now: new Date(0),
  });
}

async function verify(store: S3ObjectStore, upload: Upload): Promise<string> {
  const facts = (await store.inspect(uploadKey(owner, upload.id)))._unsafeUnwrap();
  if (!facts.exists) return 'missing';
  const sniffedType = (await inspector.sniff(facts.head))._unsafeUnwrap();
  const set = restoreTrainingSet(owner, [{ uploadId: upload.id, sha256: upload.sha256, byteSize: upload.byteSize, contentType: upload.contentType }]);
  return verifyUploads(
    set,
    new Map([[upload.id, upload]]),
    new Map([[upload.id, { exists: true, byteSize: facts.byteSize, sha256: facts.sha256, sniffedType }]]),
  ).match(
    () => 'verified',
    (error) => error.code,
  );
}

describe.each<S3ChecksumMode>(['when_supported', 'when_required'])('checksum mode %s', { timeout: 30_000 }, (mode) => {
  let fixture: S3Fixture;
  let store: S3ObjectStore;
  let bytes: Uint8Array;
  beforeAll(async () => {
    fixture = await startS3Fixture({ checksumMode: mode });
    store = fixture.store;
    bytes = await texturedPhoto(7, { width: 200, height: 200 });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it(
    mode === 'when_supported'
      ? 'a streamed PutObject is stored with aws-chunked framing: inspect reports the real bytes and I2 refuses them'
      : 'a streamed PutObject is stored exactly and verifies',
    async () => {
      const upload = uploadFor(UploadId.parse('streamed')._unsafeUnwrap(), bytes);
      await streamedPutObject(fixture.s3, uploadKey(owner, upload.id), bytes);
      const facts = (await store.inspect(uploadKey(owner, upload.id)))._unsafeUnwrap();
      if (!facts.exists) throw new Error('the object should exist');
      if (mode === 'when_supported') {
        expect(facts.byteSize).toBeGreaterThan(bytes.byteLength);
        expect(facts.sha256).not.toBe(sha256Of(bytes));
        expect(await verify(store, upload)).toBe('verify.size_mismatch');
      } else {
        expect([facts.byteSize, facts.sha256]).toEqual([bytes.byteLength, sha256Of(bytes)]);
        expect(await verify(store, upload)).toBe('verified');
      }
    },
  );

  it('put() stores exactly what it measured (it sends buffered parts, never an aws-chunked stream)', async () => {
    const upload = uploadFor(UploadId.parse('put')._unsafeUnwrap(), bytes);
    const put = (await store.put(uploadKey(owner, upload.id), streamOf(bytes), { maxBytes: 1 << 20 }))._unsafeUnwrap();
    expect([put.byteSize, put.sha256]).toEqual([bytes.byteLength, sha256Of(bytes)]);
    const facts = (await store.inspect(uploadKey(owner, upload.id)))._unsafeUnwrap();
    expect(facts.exists && [facts.byteSize, facts.sha256]).toEqual([put.byteSize, put.sha256]);
    expect(await verify(store, upload)).toBe('verified');
  });

  it('the packager reads back exactly what it wrote', async () => {
    const source = uploadKey(owner, UploadId.parse('for-zip')._unsafeUnwrap());
    (await store.put(source, streamOf(bytes), { maxBytes: 1 << 20 }))._unsafeUnwrap();
    const written = (await fixture.packager.build('packages/check.zip', [{ name: 'for-zip.jpg', key: source }]))._unsafeUnwrap();
    expect((await fixture.packager.readBack('packages/check.zip'))._unsafeUnwrap()).toEqual(written);
  });
});
