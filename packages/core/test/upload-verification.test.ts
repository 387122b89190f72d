import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UploadId } from '../src/domain/ids.js';
import { verifyUploads, type StoredObjectFacts, type UploadVerificationError } from '../src/domain/upload-verification.js';
import type { Upload } from '../src/domain/upload.js';
import { alice, bob, shaOf } from './support/ids.js';
import { objectsOf, rowsOf, storedAsRecorded } from './support/storage-facts.js';
import { trainingSetFromUploads, trainingSetOf } from './support/training-set-builder.js';
import { anUpload } from './support/upload-builder.js';

const { set, uploads } = trainingSetOf(alice, 3);
const target = uploads[1]!;

/** Rows as recorded, except one replaced (or removed when `row` is undefined). */
function rowsWith(id: UploadId, row: Upload | undefined): Map<UploadId, Upload> {
  const rows = rowsOf(uploads);
  if (row) rows.set(id, row);
  else rows.delete(id);
  return rows;
}

/** Storage as recorded, except one object replaced (or absent when `object` is undefined). */
function objectsWith(id: UploadId, object: StoredObjectFacts | undefined): Map<UploadId, StoredObjectFacts> {
  const objects = objectsOf(uploads);
  if (object) objects.set(id, object);
  else objects.delete(id);
  return objects;
}

function refusal(rows: Map<UploadId, Upload>, objects: Map<UploadId, StoredObjectFacts>): UploadVerificationError {
  return verifyUploads(set, rows, objects)._unsafeUnwrapErr();
}

describe('verifyUploads (I2)', () => {
  it('succeeds when every row and object is as recorded, with evidence equal to what storage reported', () => {
    const verified = verifyUploads(set, rowsOf(uploads), objectsOf(uploads))._unsafeUnwrap();

    expect(verified.evidence).toEqual(
      uploads.map((u) => ({ uploadId: u.id, byteSize: u.byteSize, sha256: u.sha256, contentType: u.contentType })),
    );
  });

  it('refuses an upload whose row is gone or deleted: upload_missing', () => {
    expect(refusal(rowsWith(target.id, undefined), objectsOf(uploads)).code).toBe('verify.upload_missing');
    expect(refusal(rowsWith(target.id, { ...target, status: 'deleted', deletedAt: new Date(0) }), objectsOf(uploads)).code).toBe(
      'verify.upload_missing',
    );
  });

  it('refuses a row that now belongs to another owner: foreign_upload', () => {
    expect(refusal(rowsWith(target.id, { ...target, ownerId: bob }), objectsOf(uploads)).code).toBe('verify.foreign_upload');
  });

  it('refuses a photo with no object in storage: object_missing', () => {
    expect(refusal(rowsOf(uploads), objectsWith(target.id, undefined)).code).toBe('verify.object_missing');
    expect(refusal(rowsOf(uploads), objectsWith(target.id, { exists: false })).code).toBe('verify.object_missing');
  });

  it('refuses a stored object or a row whose size differs from the recorded one: size_mismatch', () => {
    const bigger = { ...storedAsRecorded(target), byteSize: target.byteSize + 1 };
    expect(refusal(rowsOf(uploads), objectsWith(target.id, bigger)).code).toBe('verify.size_mismatch');
    expect(refusal(rowsWith(target.id, { ...target, byteSize: target.byteSize - 1 }), objectsOf(uploads)).code).toBe(
      'verify.size_mismatch',
    );
  });

  it('refuses a stored object or a row whose SHA-256 differs from the recorded one: hash_mismatch', () => {
    const swapped = { ...storedAsRecorded(target), sha256: shaOf('some other photo') };
    expect(refusal(rowsOf(uploads), objectsWith(target.id, swapped)).code).toBe('verify.hash_mismatch');
    expect(refusal(rowsWith(target.id, { ...target, sha256: shaOf('rewritten row') }), objectsOf(uploads)).code).toBe(
      'verify.hash_mismatch',
    );
  });

  it('refuses bytes sniffed as another image type or as no allowed image: type_mismatch', () => {
    const png = { ...storedAsRecorded(target), sniffedType: 'image/png' as const };
    const notAnImage = { ...storedAsRecorded(target), sniffedType: null };
    expect(target.contentType).toBe('image/jpeg');
    expect(refusal(rowsOf(uploads), objectsWith(target.id, png)).code).toBe('verify.type_mismatch');
    expect(refusal(rowsOf(uploads), objectsWith(target.id, notAnImage)).code).toBe('verify.type_mismatch');
  });

  it('names the photo in every refusal, and says what was found instead (operators act on the detail)', () => {
    const id = target.id;
    const details = [
      refusal(rowsWith(id, undefined), objectsOf(uploads)),
      refusal(rowsWith(id, { ...target, status: 'deleted', deletedAt: new Date(0) }), objectsOf(uploads)),
      refusal(rowsWith(id, { ...target, ownerId: bob }), objectsOf(uploads)),
      refusal(rowsOf(uploads), objectsWith(id, undefined)),
      refusal(rowsOf(uploads), objectsWith(id, { ...storedAsRecorded(target), byteSize: target.byteSize + 1 })),
      refusal(rowsOf(uploads), objectsWith(id, { ...storedAsRecorded(target), sha256: shaOf('some other photo') })),
      refusal(rowsOf(uploads), objectsWith(id, { ...storedAsRecorded(target), sniffedType: null })),
    ].map((error) => error.detail);
    expect(details).toEqual([
      `upload ${id} is gone`,
      `upload ${id} is deleted`,
      `upload ${id} belongs to another owner`,
      `no object for upload ${id}`,
      `upload ${id}: ${target.byteSize + 1} != ${target.byteSize} bytes`,
      `upload ${id}: sha256 ${shaOf('some other photo')} != ${target.sha256}`,
      `upload ${id}: sniffed unknown, recorded image/jpeg`,
    ]);
  });

  it("does not accept another item's object in place of the expected one", () => {
    const other = uploads[0]!;
    expect(refusal(rowsOf(uploads), objectsWith(target.id, storedAsRecorded(other))).code).toBe('verify.size_mismatch');
    const sameSize = storedAsRecorded({ ...other, byteSize: target.byteSize });
    expect(refusal(rowsOf(uploads), objectsWith(target.id, sameSize)).code).toBe('verify.hash_mismatch');
  });

  it('refuses any single corrupted photo of any set, with the code of that corruption', () => {
    const corruptions = ['row_gone', 'row_deleted', 'row_foreign', 'object_gone', 'size', 'hash', 'type', 'not_image'] as const;
    const expected = {
      row_gone: 'verify.upload_missing',
      row_deleted: 'verify.upload_missing',
      row_foreign: 'verify.foreign_upload',
      object_gone: 'verify.object_missing',
      size: 'verify.size_mismatch',
      hash: 'verify.hash_mismatch',
      type: 'verify.type_mismatch',
      not_image: 'verify.type_mismatch',
    } as const;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.nat(), fc.constantFrom(...corruptions), (count, pick, corruption) => {
        const photos = Array.from({ length: count }, () => anUpload().build());
        const photoSet = trainingSetFromUploads(alice, photos);
        const victim = photos[pick % count]!;
        const rows = rowsOf(photos);
        const objects = objectsOf(photos);
        const stored = storedAsRecorded(victim);
        switch (corruption) {
          case 'row_gone':
            rows.delete(victim.id);
            break;
          case 'row_deleted':
            rows.set(victim.id, { ...victim, status: 'deleted' });
            break;
          case 'row_foreign':
            rows.set(victim.id, { ...victim, ownerId: bob });
            break;
          case 'object_gone':
            objects.set(victim.id, { exists: false });
            break;
          case 'size':
            objects.set(victim.id, { ...stored, byteSize: victim.byteSize + 7 });
            break;
          case 'hash':
            objects.set(victim.id, { ...stored, sha256: shaOf(`tampered ${victim.id}`) });
            break;
          case 'type':
            objects.set(victim.id, { ...stored, sniffedType: 'image/webp' });
            break;
          case 'not_image':
            objects.set(victim.id, { ...stored, sniffedType: null });
            break;
        }
        const result = verifyUploads(photoSet, rows, objects);
        expect(result._unsafeUnwrapErr().code).toBe(expected[corruption]);
      }),
    );
  });
});
