import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cosineSimilarity, defaultPhotoCheckPolicy, judgeFaces, outsiders, type FaceReport } from '../src/domain/photo-checks.js';
import { uploadId } from './support/ids.js';

const policy = defaultPhotoCheckPolicy;
/** Person p's face: a unit vector on axis p, slightly perturbed (people on different axes are orthogonal). */
const face = (person: number, noise: number) => Array.from({ length: 16 }, (_, i) => (i === person ? 1 : 0) + (i === 15 ? noise : 0));

describe('outsiders: the photos of a set that are not its person', () => {
  it('names nobody in a one-person set, and in a mixed set names exactly the photos of everyone but one person', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ person: fc.integer({ min: 0, max: 3 }), noise: fc.double({ min: 0, max: 0.3, noNaN: true }) }), { minLength: 1, maxLength: 30 }), (photos) => {
        const set = photos.map((p, index) => ({ uploadId: uploadId(`u${index}`), embedding: face(p.person, p.noise) }));
        const named = new Set(outsiders(policy, set));
        const people = new Set(photos.map((p) => p.person));
        const kept = photos.filter((_, index) => !named.has(set[index]!.uploadId));
        // Whatever is kept is one person; everything named is someone else.
        expect(new Set(kept.map((p) => p.person)).size).toBe(1);
        const person = kept[0]!.person;
        photos.forEach((p, index) => expect(named.has(set[index]!.uploadId)).toBe(p.person !== person));
        expect(named.size === 0).toBe(people.size === 1);
        // The kept person is a most frequent one: a set is never judged by its minority.
        const count = (q: number) => photos.filter((p) => p.person === q).length;
        expect(Math.max(...[...people].map(count))).toBe(count(person));
      }),
    );
  });

  it('cosine similarity: 1 for the same direction, 0 for orthogonal or empty vectors', () => {
    expect(cosineSimilarity([1, 2], [2, 4])).toBeCloseTo(1);
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
    expect(cosineSimilarity([], [])).toBe(0);
    expect(cosineSimilarity([1, 2], [1])).toBe(0);
  });
});

describe('judgeFaces', () => {
  const report = (faces: FaceReport['faces']): FaceReport => ({ width: 1000, height: 800, faces });
  const one = (height: number, sharpness: number) => ({ box: { x: 0, y: 0, width: height, height }, score: 1, sharpness, embedding: [1] });
  const outcomes = (r: FaceReport) => judgeFaces(policy, r).map((check) => `${check.name}:${check.outcome}`);

  it('fails no face and several faces; warns below the face share and the sharpness, at the bound it passes', () => {
    expect(outcomes(report([]))).toEqual(['face_found:failed']);
    expect(outcomes(report([one(400, 500), one(400, 500)]))).toEqual(['face_found:passed', 'one_face:failed']);
    const atBounds = one(800 * policy.minFaceShare, policy.minSharpness);
    expect(outcomes(report([atBounds]))).toEqual(['face_found:passed', 'one_face:passed', 'face_size:passed', 'sharpness:passed']);
    expect(outcomes(report([one(800 * policy.minFaceShare - 1, policy.minSharpness - 1)]))).toEqual([
      'face_found:passed',
      'one_face:passed',
      'face_size:warning',
      'sharpness:warning',
    ]);
  });
});
