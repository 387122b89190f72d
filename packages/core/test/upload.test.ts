import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trusted, type OwnerId, type UploadId } from '../src/domain/ids.js';
import { ownerRef } from '../src/domain/owner-ref.js';
import {
  checkImage,
  defaultUploadPolicy,
  IMAGE_TYPES,
  INPUT_IMAGE_TYPES,
  isImageType,
  isInputImageType,
  markDeleted,
  newUpload,
  stagingKey,
  uploadKey,
  type ImageFacts,
} from '../src/domain/upload.js';
import { alice, shaOf, uploadId } from './support/ids.js';
import { minutesAfterStart, t0 } from './support/time.js';

const policy = { maxBytes: 1_000, minWidth: 256, minHeight: 200 };
const facts = (width: number, height: number): ImageFacts => ({ contentType: 'image/png', width, height });

describe('checkImage', () => {
  it('accepts an image at exactly the limits', () => {
    expect(checkImage(policy, 1_000, facts(256, 200))._unsafeUnwrap()).toEqual(facts(256, 200));
    expect(checkImage(policy, 1, facts(4000, 3000)).isOk()).toBe(true);
  });

  it('refuses one byte over the maximum: too_large', () => {
    expect(checkImage(policy, 1_001, facts(1024, 1024))._unsafeUnwrapErr().code).toBe('upload.too_large');
    expect(checkImage(defaultUploadPolicy, 20 * 1024 * 1024 + 1, facts(1024, 1024))._unsafeUnwrapErr().code).toBe('upload.too_large');
  });

  it('refuses an empty file: corrupt', () => {
    expect(checkImage(policy, 0, facts(1024, 1024))._unsafeUnwrapErr().code).toBe('upload.corrupt');
  });

  it('refuses an image too small in either dimension: too_small', () => {
    expect(checkImage(policy, 500, facts(255, 200))._unsafeUnwrapErr().code).toBe('upload.too_small');
    expect(checkImage(policy, 500, facts(256, 199))._unsafeUnwrapErr().code).toBe('upload.too_small');
    expect(checkImage(defaultUploadPolicy, 500, facts(4000, 255))._unsafeUnwrapErr().code).toBe('upload.too_small');
  });

  it('names the sizes it compared in the detail', () => {
    expect(checkImage(policy, 1_001, facts(1024, 1024))._unsafeUnwrapErr().detail).toBe('1001 > 1000 bytes');
    expect(checkImage(policy, 0, facts(1024, 1024))._unsafeUnwrapErr().detail).toBe('empty file');
    expect(checkImage(policy, 500, facts(255, 200))._unsafeUnwrapErr().detail).toBe('255x200 is below 256x200');
  });

  it.each([
    [0, 300],
    [300, 0],
    [-300, 300],
    [300, -300],
    [300.5, 300],
    [300, 300.5],
    [Number.NaN, 300],
    [300, Number.NaN],
  ])('refuses dimensions %sx%s, which no image has: corrupt, not too_small', (width, height) => {
    expect(checkImage(policy, 500, facts(width, height))._unsafeUnwrapErr()).toMatchObject({
      code: 'upload.corrupt',
      detail: `dimensions ${width}x${height}`,
    });
  });

  it('accepts exactly the images within every limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 600 }), (bytes, w, h) => {
        const withinLimits = bytes >= 1 && bytes <= policy.maxBytes && w >= policy.minWidth && h >= policy.minHeight;
        expect(checkImage(policy, bytes, facts(w, h)).isOk()).toBe(withinLimits);
      }),
    );
  });
});

describe('uploadKey', () => {
  it("is made of the owner's opaque reference and the upload id, and nothing else", () => {
    const owner = trusted<OwnerId>('8c1f2a90-5d4e-4b8a-9a57-2f1e3c4d5b6a');
    expect(uploadKey(owner, uploadId('upload-1'))).toBe(`uploads/${ownerRef(owner)}/upload-1`);
  });

  it('has exactly three path segments, never exposes the owner id and never escapes its prefix', () => {
    const idArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@|-]{5,127}$/);
    fc.assert(
      fc.property(idArb, idArb, (owner, upload) => {
        fc.pre(!upload.includes(owner));
        const key = uploadKey(trusted<OwnerId>(owner), trusted<UploadId>(upload));
        expect(key.split('/')).toEqual(['uploads', ownerRef(trusted<OwnerId>(owner)), upload]);
        expect(key).not.toContain(owner);
      }),
    );
  });
});

describe('stagingKey', () => {
  it("is the staging area, the owner's opaque reference and the upload id", () => {
    const owner = trusted<OwnerId>('8c1f2a90-5d4e-4b8a-9a57-2f1e3c4d5b6a');
    expect(stagingKey(owner, uploadId('upload-1'))).toBe(`staging/${ownerRef(owner)}/upload-1`);
  });
});

describe('image types', () => {
  it('stores JPEG, PNG and WebP; takes HEIC and HEIF as input only', () => {
    expect(IMAGE_TYPES.filter(isImageType)).toEqual(['image/jpeg', 'image/png', 'image/webp']);
    expect(INPUT_IMAGE_TYPES.filter(isInputImageType)).toEqual(['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif']);
    expect(isImageType('image/heic')).toBe(false);
    expect(isImageType('image/heif')).toBe(false);
  });

  it.each(['image/gif', 'IMAGE/JPEG', 'image/jpeg ', '', null, undefined, 42])('refuses %j as either', (value) => {
    expect(isImageType(value)).toBe(false);
    expect(isInputImageType(value)).toBe(false);
  });
});

describe('newUpload / markDeleted', () => {
  const upload = newUpload({
    id: uploadId('upload-1'),
    ownerId: alice,
    sha256: shaOf('bytes'),
    sourceSha256: shaOf('bytes as sent'),
    byteSize: 1234,
    facts: { contentType: 'image/webp', width: 640, height: 480 },
    faceEmbedding: [0.5, 0.5],
    now: t0,
  });

  it('records the sniffed facts, stored, at revision 0', () => {
    expect(upload).toEqual({
      id: 'upload-1',
      ownerId: alice,
      status: 'stored',
      contentType: 'image/webp',
      byteSize: 1234,
      sha256: shaOf('bytes'),
      sourceSha256: shaOf('bytes as sent'),
      width: 640,
      height: 480,
      checks: [],
      faceEmbedding: [0.5, 0.5],
      createdAt: t0,
      deletedAt: null,
      revision: 0,
    });
  });

  it('defaults: the bytes as sent are the bytes stored, no checks, no face embedding', () => {
    const plain = newUpload({ id: uploadId('upload-2'), ownerId: alice, sha256: shaOf('plain'), byteSize: 10, facts: facts(300, 300), now: t0 });
    expect(plain).toMatchObject({ status: 'stored', sha256: shaOf('plain'), sourceSha256: shaOf('plain'), checks: [], faceEmbedding: null });
    const checked = newUpload({
      id: uploadId('upload-3'),
      ownerId: alice,
      sha256: shaOf('checked'),
      byteSize: 10,
      facts: facts(300, 300),
      checks: [{ name: 'face_found', outcome: 'passed', message: 'A face was found.' }],
      now: t0,
    });
    expect(checked.checks).toEqual([{ name: 'face_found', outcome: 'passed', message: 'A face was found.' }]);
  });

  it('returns an upload already deleted as it is', () => {
    const deleted = markDeleted(upload, minutesAfterStart(5));
    expect(markDeleted(deleted, minutesAfterStart(9))).toBe(deleted);
  });

  it('keeps the row (id, owner, sha256) as provenance when deleted, and the first deletion time', () => {
    const deleted = markDeleted(upload, minutesAfterStart(5));
    expect(deleted).toMatchObject({ id: upload.id, ownerId: alice, sha256: upload.sha256, status: 'deleted', deletedAt: minutesAfterStart(5) });
    expect(markDeleted(deleted, minutesAfterStart(9)).deletedAt).toEqual(minutesAfterStart(5));
  });

  it('erases the face embedding with the photo: biometric data does not outlive it', () => {
    expect(markDeleted(upload, minutesAfterStart(5)).faceEmbedding).toBeNull();
  });
});
