import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { cosineSimilarity, defaultPhotoCheckPolicy, judgeFaces, type FaceReport } from '@selfie-lora/core';
import { HumanFaceInspector } from '../../src/faces/human-face-inspector.js';
import { SharpPhotoNormaliser } from '../../src/images/sharp-photo-normaliser.js';

// The real model on real photos (fixtures/photos/README.md): loaded once for this file.
const inspector = new HumanFaceInspector();
const normaliser = new SharpPhotoNormaliser();
afterAll(async () => {
  await inspector.close();
  await normaliser.close();
});

const fixture = (name: string) => readFile(new URL(`../fixtures/photos/${name}`, import.meta.url));

async function look(name: string): Promise<FaceReport> {
  const photo = (await normaliser.normalise(await fixture(name)))._unsafeUnwrap();
  return (await inspector.inspect(photo))._unsafeUnwrap();
}

const outcomes = (report: FaceReport) => Object.fromEntries(judgeFaces(defaultPhotoCheckPolicy, report).map((check) => [check.name, check.outcome]));

describe('HumanFaceInspector (real model, offline)', () => {
  it('finds one face in a portrait, none in a photo of coffee, two in a photo of two people', async () => {
    const [portrait, coffee, pair] = [await look('astronaut-a.jpg'), await look('no-face.jpg'), await look('two-people.jpg')];
    expect(portrait.faces).toHaveLength(1);
    expect(portrait.faces[0]!.embedding).toHaveLength(1024);
    expect(outcomes(portrait)).toEqual({ face_found: 'passed', one_face: 'passed', face_size: 'passed', sharpness: 'passed' });
    expect(outcomes(coffee)).toEqual({ face_found: 'failed' });
    expect(pair.faces).toHaveLength(2);
    expect(outcomes(pair)).toEqual({ face_found: 'passed', one_face: 'failed' });
  });

  it('warns about a small face and a blurry face', async () => {
    expect(outcomes(await look('small-face.jpg'))).toMatchObject({ face_found: 'passed', one_face: 'passed', face_size: 'warning' });
    const blurry = await look('blurry.jpg');
    expect(outcomes(blurry)).toMatchObject({ face_found: 'passed', sharpness: 'warning' });
  });

  it('places one person above the same-person threshold and another below it', async () => {
    const [a, b, other] = await Promise.all(['astronaut-b.jpg', 'astronaut-c.jpg', 'cameraman-a.jpg'].map(look));
    const embedding = (report: FaceReport) => report.faces[0]!.embedding;
    const threshold = defaultPhotoCheckPolicy.samePersonSimilarity;
    expect(cosineSimilarity(embedding(a!), embedding(b!))).toBeGreaterThanOrEqual(threshold);
    expect(cosineSimilarity(embedding(a!), embedding(other!))).toBeLessThan(threshold);
  });
});
