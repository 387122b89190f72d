import { describe, expect, it } from 'vitest';
import { createMemoryCore, FakeFaceInspector, oneFace, type MemoryCore } from '@selfie-lora/adapters';
import { markDeleted, registerUpload, startTraining, type FaceReport, type NormalisedPhoto, type OwnerId } from '@selfie-lora/core';
import { photo, streamOf } from '@selfie-lora/testkit/photos';
import { alice, bob, errorCode, expectUnchanged, storedState } from '../support/memory-core-fixtures.js';

// What the fake face inspector "sees" is chosen by the photo's width, so a test can send a
// photo with no face, two faces, or another person without real portraits (the real model on
// real photos is tested in packages/adapters/test/faces and test/e2e/photos.e2e.test.ts).
const SCENES: Record<number, (photo: NormalisedPhoto) => FaceReport> = {
  300: (p) => oneFace(p, 0),
  301: (p) => oneFace(p, 1),
  310: (p) => ({ width: p.facts.width, height: p.facts.height, faces: [] }),
  320: (p) => ({ ...oneFace(p, 0), faces: [...oneFace(p, 0).faces, ...oneFace(p, 1).faces] }),
  330: (p) => ({ ...oneFace(p, 0), faces: oneFace(p, 0).faces.map((face) => ({ ...face, box: { ...face.box, height: 20 } })) }),
  340: (p) => ({ ...oneFace(p, 0), faces: oneFace(p, 0).faces.map((face) => ({ ...face, sharpness: 5 })) }),
};

function core(config: { maxTrainingPhotos?: number } = {}): { core: MemoryCore; faces: FakeFaceInspector } {
  const faces = new FakeFaceInspector((p) => (SCENES[p.facts.width] ?? SCENES[300]!)(p));
  return { core: createMemoryCore({ config: { minPhotos: 3, ...config }, faces }), faces };
}

let seed = 1000;
async function upload(c: MemoryCore, width: number, ownerId: OwnerId = alice) {
  seed += 1;
  return registerUpload(c.deps, { ownerId, body: streamOf(await photo(seed, { width, height: 300 })) });
}

const checksOf = (upload: { checks: readonly { name: string; outcome: string }[] }) => Object.fromEntries(upload.checks.map((c) => [c.name, c.outcome]));

describe('photo checks at upload (issue 11)', () => {
  it.each([
    [310, 'upload.no_face', '0 faces in 310x300'],
    [320, 'upload.several_faces', '2 faces in 320x300'],
  ])('a photo the checks fail (width %i) is refused with %s (%s for the operator) and nothing is stored', async (width, code, detail) => {
    const { core: c } = core();
    const before = storedState(c);
    const refused = await upload(c, width);
    expect(errorCode(refused)).toBe(code);
    expect(refused._unsafeUnwrapErr().detail).toBe(detail);
    expectUnchanged(c, before);
  });

  it('a small or blurry face is stored with a warning the owner can read', async () => {
    const { core: c } = core();
    const small = (await upload(c, 330))._unsafeUnwrap().upload;
    expect(checksOf(small)).toEqual({ face_found: 'passed', one_face: 'passed', face_size: 'warning', sharpness: 'passed' });
    const blurry = (await upload(c, 340))._unsafeUnwrap().upload;
    expect(checksOf(blurry)).toMatchObject({ face_size: 'passed', sharpness: 'warning', same_person: 'passed' });
    expect(blurry.checks.find((check) => check.name === 'sharpness')?.message).toMatch(/blurry/);
    expect(blurry.faceEmbedding).not.toBeNull();
  });

  it("warns when a photo does not look like the owner's other photos, judging only the owner's own", async () => {
    const { core: c } = core();
    for (let i = 0; i < 3; i += 1) (await upload(c, 301, bob))._unsafeUnwrap();
    (await upload(c, 300))._unsafeUnwrap();
    (await upload(c, 300))._unsafeUnwrap();
    const stranger = (await upload(c, 301))._unsafeUnwrap().upload;
    expect(checksOf(stranger).same_person).toBe('warning');
  });

  it('a face inspector that cannot answer refuses the photo as retryable, and stores nothing', async () => {
    const { core: c, faces } = core();
    faces.unavailable = true;
    const before = storedState(c);
    const refused = await upload(c, 300);
    expect(refused._unsafeUnwrapErr()).toMatchObject({ code: 'upload.checks_unavailable', transient: true });
    expectUnchanged(c, before);
  });

  it('a photo stored while checks were off is not compared: the next photo gets no same-person check', async () => {
    const { core: c } = core();
    (await upload({ ...c, deps: { ...c.deps, faces: null } }, 300))._unsafeUnwrap();
    const next = (await upload(c, 300))._unsafeUnwrap().upload;
    expect(checksOf(next)).toEqual({ face_found: 'passed', one_face: 'passed', face_size: 'passed', sharpness: 'passed' });
  });

  it('checks switched off: photos are stored with no checks and no embedding', async () => {
    const c = createMemoryCore({ config: { minPhotos: 3 }, faces: null });
    const stored = (await upload(c, 310))._unsafeUnwrap().upload;
    expect([stored.checks, stored.faceEmbedding]).toEqual([[], null]);
  });
});

describe('choosing the training set (issue 11)', () => {
  async function photosOf(c: MemoryCore, widths: readonly number[], ownerId: OwnerId = alice) {
    const ids: string[] = [];
    for (const width of widths) ids.push((await upload(c, width, ownerId))._unsafeUnwrap().upload.id);
    return ids;
  }

  it('a set that mixes two people never trains: the owner is told which photos', async () => {
    const { core: c } = core();
    const mine = await photosOf(c, [300, 300, 300]);
    const theirs = await photosOf(c, [301, 301]);
    const before = storedState(c);
    const refused = (await startTraining(c.deps, { ownerId: alice }))._unsafeUnwrapErr();
    expect(refused.code).toBe('training.mixed_people');
    for (const id of theirs) expect(refused.message).toContain(id);
    for (const id of mine) expect(refused.message).not.toContain(id);
    expectUnchanged(c, before);
    // Leaving them out trains.
    const started = (await startTraining(c.deps, { ownerId: alice, uploadIds: mine }))._unsafeUnwrap();
    expect(started.pipeline.trainingSet.items.map((item) => item.uploadId)).toEqual(mine);
  });

  it('a set of one person trains; photos warned about as small or blurry still count', async () => {
    const { core: c } = core();
    const ids = await photosOf(c, [300, 330, 340]);
    const started = (await startTraining(c.deps, { ownerId: alice }))._unsafeUnwrap();
    expect(started.pipeline.trainingSet.items.map((item) => item.uploadId)).toEqual(ids);
  });

  it('uploadIds: only the owner\'s stored photos; repeats count once; the maximum is enforced', async () => {
    const { core: c } = core({ maxTrainingPhotos: 4 });
    const mine = await photosOf(c, [300, 300, 300, 300, 300]);
    const [theirs] = await photosOf(c, [300], bob);
    const start = (uploadIds?: string[]) => startTraining(c.deps, { ownerId: alice, uploadIds });
    expect(errorCode(await start([mine[0]!, mine[1]!, theirs!]))).toBe('training.photo_not_usable');
    expect(errorCode(await start([mine[0]!, mine[1]!, 'not an id at all']))).toBe('training.photo_not_usable');
    expect(errorCode(await start())).toBe('training.too_many_photos');
    expect(errorCode(await start(mine))).toBe('training.too_many_photos');
    expect(errorCode(await start([mine[0]!, mine[0]!, mine[1]!]))).toBe('training.not_enough_photos');
    const deleted = c.db.snapshot().uploads.find((u) => u.id === mine[4])!;
    (await c.deps.uow.transaction((repos) => repos.uploads.update(markDeleted(deleted, c.clock.now()))))._unsafeUnwrap();
    expect(errorCode(await start([mine[0]!, mine[1]!, mine[4]!]))).toBe('training.photo_not_usable');
    const started = (await start([mine[2]!, mine[0]!, mine[2]!, mine[1]!]))._unsafeUnwrap();
    expect(started.pipeline.trainingSet.items.map((item) => item.uploadId)).toEqual([mine[2], mine[0], mine[1]]);
  });
});
