import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorMessages } from '../src/domain/errors.js';
import { trainingSetFrom } from '../src/domain/training-set.js';
import type { Upload } from '../src/domain/upload.js';
import { alice, bob } from './support/ids.js';
import { anUpload, uploadsOf } from './support/upload-builder.js';

describe('trainingSetFrom', () => {
  it("makes a set of the owner's stored photos, each item carrying its upload's recorded facts", () => {
    const uploads = [anUpload().ofType('image/png').build(), anUpload().ofType('image/webp').build(), anUpload().build()];

    const set = trainingSetFrom(alice, uploads, 3)._unsafeUnwrap();

    expect(set.ownerId).toBe(alice);
    expect(set.items).toEqual(
      uploads.map((u) => ({ uploadId: u.id, sha256: u.sha256, byteSize: u.byteSize, contentType: u.contentType })),
    );
  });

  it("refuses another owner's upload even when the owner has enough photos of their own (I1)", () => {
    const uploads = [...uploadsOf(alice, 10), anUpload().ownedBy(bob).build()];

    const error = trainingSetFrom(alice, uploads, 10)._unsafeUnwrapErr();

    expect(error.code).toBe('verify.foreign_upload');
    expect(error.message).toBe(errorMessages['verify.foreign_upload']);
  });

  it('refuses any set with a foreign upload, wherever it sits (I1)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 12 }), fc.nat(), fc.integer({ min: 0, max: 13 }), (own, position, minPhotos) => {
        const uploads = uploadsOf(alice, own);
        uploads.splice(position % (own + 1), 0, anUpload().ownedBy(bob).build());

        expect(trainingSetFrom(alice, uploads, minPhotos)._unsafeUnwrapErr().code).toBe('verify.foreign_upload');
      }),
    );
  });

  it('refuses a deleted upload', () => {
    const uploads = [...uploadsOf(alice, 3), anUpload().deleted().build()];

    expect(trainingSetFrom(alice, uploads, 1)._unsafeUnwrapErr().code).toBe('verify.upload_missing');
  });

  it('refuses fewer photos than the minimum and accepts exactly the minimum', () => {
    const uploads = uploadsOf(alice, 10);

    expect(trainingSetFrom(alice, uploads.slice(0, 9), 10)._unsafeUnwrapErr().code).toBe('training.not_enough_photos');
    expect(trainingSetFrom(alice, uploads, 10)._unsafeUnwrap().items).toHaveLength(10);
  });

  it('never makes an empty set, whatever minimum is configured (I2, I6)', () => {
    fc.assert(
      fc.property(fc.integer({ max: 0 }), (minPhotos) => {
        expect(trainingSetFrom(alice, [], minPhotos)._unsafeUnwrapErr().code).toBe('training.not_enough_photos');
        expect(trainingSetFrom(alice, uploadsOf(alice, 1), minPhotos)._unsafeUnwrap().items).toHaveLength(1);
      }),
    );
  });

  // A mis-parsed minimum (NaN) must not let an empty set through.
  it('never makes an empty set when the minimum is NaN', () => {
    expect(trainingSetFrom(alice, [], Number.NaN).isErr()).toBe(true);
  });

  it('counts an upload listed twice once, and keeps one item for it', () => {
    const [a, b, c] = uploadsOf(alice, 3) as [Upload, Upload, Upload];
    const listed = [a, b, a, c, b];

    expect(trainingSetFrom(alice, listed, 4)._unsafeUnwrapErr().code).toBe('training.not_enough_photos');
    const set = trainingSetFrom(alice, listed, 3)._unsafeUnwrap();
    expect(set.items.map((item) => item.uploadId)).toEqual([a.id, b.id, c.id]);
  });
});

describe('trainingSetFrom refusals name what is wrong', () => {
  it('names the foreign or deleted photo, and the count against the minimum', () => {
    const own = uploadsOf(alice, 3);
    const foreign = anUpload('u-of-bob').ownedBy(bob).build();
    const deleted = anUpload('u-deleted').deleted().build();
    expect(trainingSetFrom(alice, [...own, foreign], 3)._unsafeUnwrapErr().detail).toBe("upload u-of-bob is not owned by the pipeline's owner");
    expect(trainingSetFrom(alice, [...own, deleted], 3)._unsafeUnwrapErr().detail).toBe('upload u-deleted is deleted');
    expect(trainingSetFrom(alice, own, 5)._unsafeUnwrapErr().detail).toBe('3 of 5 photos');
  });
});
