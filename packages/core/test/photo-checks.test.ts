import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cosineSimilarity,
  defaultPhotoCheckPolicy,
  judgeFaces,
  judgeSamePerson,
  mainFace,
  outsiders,
  photoCheck,
  refusingCheck,
  type FaceReport,
} from '../src/domain/photo-checks.js';
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

  it('breaks a tie for the person by the earlier photo', () => {
    const a1 = uploadId('a1');
    const a2 = uploadId('a2');
    const b1 = uploadId('b1');
    const b2 = uploadId('b2');
    expect(outsiders(policy, [{ uploadId: a1, embedding: face(0, 0) }, { uploadId: b1, embedding: face(1, 0) }])).toEqual([b1]);
    expect(outsiders(policy, [{ uploadId: b1, embedding: face(1, 0) }, { uploadId: a1, embedding: face(0, 0) }])).toEqual([a1]);
    const halves = [
      { uploadId: a1, embedding: face(0, 0) },
      { uploadId: b1, embedding: face(1, 0) },
      { uploadId: a2, embedding: face(0, 0.1) },
      { uploadId: b2, embedding: face(1, 0.1) },
    ];
    expect(outsiders(policy, halves)).toEqual([b1, b2]);
  });

  it('names nobody in a set of fewer than two photos', () => {
    expect(outsiders(policy, [])).toEqual([]);
    expect(outsiders(policy, [{ uploadId: uploadId('only'), embedding: face(0, 0) }])).toEqual([]);
  });

  it('never counts a photo as matching itself: a photo whose embedding is all zeros matches nobody, not even itself', () => {
    // Counted against itself, the zero photo would lose the tie it wins as the earlier photo.
    const zero = { uploadId: uploadId('zero'), embedding: Array.from({ length: 16 }, () => 0) };
    const real = { uploadId: uploadId('real'), embedding: face(0, 0) };
    expect(outsiders(policy, [zero, real])).toEqual([real.uploadId]);
    expect(outsiders(policy, [real, zero])).toEqual([zero.uploadId]);
  });

  it('judges a new photo against the stored ones: none stored, no judgement; an outsider warns; the same person passes', () => {
    const newPhoto = { uploadId: uploadId('new'), embedding: face(0, 0.1) };
    expect(judgeSamePerson(policy, newPhoto, [])).toBeNull();
    const same = [{ uploadId: uploadId('s1'), embedding: face(0, 0) }];
    expect(judgeSamePerson(policy, newPhoto, same)).toEqual(photoCheck('same_person', 'passed'));
    const others = [
      { uploadId: uploadId('o1'), embedding: face(1, 0) },
      { uploadId: uploadId('o2'), embedding: face(1, 0.1) },
    ];
    expect(judgeSamePerson(policy, newPhoto, others)).toEqual(photoCheck('same_person', 'warning'));
  });

  it('cosine similarity: 0 when either vector is all zeros, and the cosine otherwise', () => {
    expect(cosineSimilarity([0, 0], [1, 1])).toBe(0);
    expect(cosineSimilarity([1, 1], [0, 0])).toBe(0);
    expect(cosineSimilarity([3, 4], [4, 3])).toBeCloseTo(24 / 25);
    expect(cosineSimilarity([1, 0], [-1, 0])).toBeCloseTo(-1);
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

describe('mainFace and refusingCheck', () => {
  const someFace = (label: number) => ({ box: { x: 0, y: 0, width: 10, height: 10 }, score: 1, sharpness: 100, embedding: [label] });

  it('the main face is the only one; with none or several there is none', () => {
    expect(mainFace({ width: 100, height: 100, faces: [someFace(1)] })).toEqual(someFace(1));
    expect(mainFace({ width: 100, height: 100, faces: [] })).toBeNull();
    expect(mainFace({ width: 100, height: 100, faces: [someFace(1), someFace(2)] })).toBeNull();
  });

  it('the refusing check is the first failed one; warnings refuse nothing', () => {
    expect(refusingCheck([photoCheck('face_found', 'passed'), photoCheck('one_face', 'failed'), photoCheck('sharpness', 'failed')])).toEqual(
      photoCheck('one_face', 'failed'),
    );
    expect(refusingCheck([photoCheck('face_size', 'warning'), photoCheck('sharpness', 'warning')])).toBeNull();
    expect(refusingCheck([])).toBeNull();
  });

  it("each check's message is the one written for its outcome", () => {
    expect(photoCheck('face_size', 'warning')).toEqual({
      name: 'face_size',
      outcome: 'warning',
      message: 'Your face is small in this photo; a closer photo trains a better model.',
    });
    expect(photoCheck('face_found', 'failed').message).toBe('No face was found in this photo. Please choose a photo that shows your face.');
  });
});

describe('the same-person threshold', () => {
  it('two faces exactly at the similarity threshold are the same person', () => {
    const a = { uploadId: uploadId('a'), embedding: [1, 0] };
    const b = { uploadId: uploadId('b'), embedding: [3, 4] };
    const atThreshold = { ...policy, samePersonSimilarity: cosineSimilarity(a.embedding, b.embedding) };
    expect(outsiders(atThreshold, [a, b])).toEqual([]);
    expect(outsiders({ ...atThreshold, samePersonSimilarity: atThreshold.samePersonSimilarity + 1e-9 }, [a, b])).toEqual([uploadId('b')]);
  });
});
