import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorMessages } from '../src/domain/errors.js';
import { defaultPhotoCheckPolicy } from '../src/domain/photo-checks.js';
import { checkOnePerson, selectTrainingPhotos } from '../src/domain/training-selection.js';
import type { Upload } from '../src/domain/upload.js';
import { anUpload, uploadsOf } from './support/upload-builder.js';
import { alice } from './support/ids.js';

const stored = uploadsOf(alice, 5);
const ids = stored.map((upload) => upload.id as string);

describe('selectTrainingPhotos', () => {
  it('takes every stored photo by default, and exactly the named ones (each once) when named', () => {
    expect(selectTrainingPhotos(stored, undefined, 50)._unsafeUnwrap()).toEqual(stored);
    expect(selectTrainingPhotos(stored, [ids[3]!, ids[1]!, ids[3]!], 50)._unsafeUnwrap()).toEqual([stored[3], stored[1]]);
  });

  it('refuses a named id that is not one of the stored photos, quoting at most 140 characters of it', () => {
    const long = `x${'y'.repeat(300)}`;
    expect(selectTrainingPhotos(stored, [ids[0]!, 'u-of-someone-else'], 50)._unsafeUnwrapErr()).toMatchObject({
      code: 'training.photo_not_usable',
      detail: '"u-of-someone-else" is not a stored photo of this owner',
    });
    expect(selectTrainingPhotos(stored, [long], 50)._unsafeUnwrapErr().detail).toBe(`"${long.slice(0, 140)}" is not a stored photo of this owner`);
  });

  it('allows exactly the maximum and refuses one more, saying how many', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.boolean(), (max, named) => {
        const verdict = selectTrainingPhotos(stored, named ? ids : undefined, max);
        if (stored.length > max) expect(verdict._unsafeUnwrapErr()).toMatchObject({ code: 'training.too_many_photos', detail: `5 photos > ${max}` });
        else expect(verdict.isOk()).toBe(true);
      }),
    );
    expect(selectTrainingPhotos(stored, undefined, 5).isOk()).toBe(true);
  });
});

/** A face embedding pointing along `axis`: same axis, same person; orthogonal axes, different people. */
const face = (axis: number): number[] => Array.from({ length: 8 }, (_, i) => (i === axis ? 1 : 0.05));
const withFace = (upload: Upload, axis: number | null): Upload => ({ ...upload, faceEmbedding: axis === null ? null : face(axis) });

describe('checkOnePerson', () => {
  it('passes a set of one person, and ignores photos without an embedding', () => {
    const photos = [withFace(stored[0]!, 0), withFace(stored[1]!, 0), withFace(stored[2]!, null), withFace(anUpload().build(), 0)];
    expect(checkOnePerson(defaultPhotoCheckPolicy, photos)._unsafeUnwrap()).toEqual(photos);
  });

  it('names the one photo of another person to the owner, and what to do', () => {
    const photos = [withFace(stored[0]!, 0), withFace(stored[1]!, 0), withFace(stored[2]!, 1)];
    const error = checkOnePerson(defaultPhotoCheckPolicy, photos)._unsafeUnwrapErr();
    expect(error).toMatchObject({ code: 'training.mixed_people', detail: `not the set's person: ${ids[2]}` });
    expect(error.message).toBe(
      `${errorMessages['training.mixed_people']} This photo does not: ${ids[2]}. Delete them or leave them out, then start the training again.`,
    );
  });

  it('names every photo of other people, separated by commas', () => {
    const photos = [withFace(stored[0]!, 0), withFace(stored[1]!, 0), withFace(stored[2]!, 0), withFace(stored[3]!, 1), withFace(stored[4]!, 2)];
    const error = checkOnePerson(defaultPhotoCheckPolicy, photos)._unsafeUnwrapErr();
    expect(error.detail).toBe(`not the set's person: ${ids[3]}, ${ids[4]}`);
    expect(error.message).toContain(`These photos do not: ${ids[3]}, ${ids[4]}.`);
  });
});
