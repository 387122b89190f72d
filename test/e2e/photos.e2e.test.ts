import { readFile } from 'node:fs/promises';
import { SERVICE, type Env } from '@selfie-lora/adapters';
import { unzipSync } from 'fflate';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, sha256, trainerIdOf, type UploadJson } from './support/client.js';
import { waitFor } from './support/poll.js';
import { RawBucket } from './support/raw-bucket.js';
import { startE2eService, type E2eService } from './support/service.js';

// Photos as people take them (issue 11), through the real service with the real face model:
// an iPhone-like HEIC and a sideways JPEG with GPS train upright and without metadata; a set of
// two people is refused, naming the photos. Files: packages/adapters/test/fixtures/photos.

let service: E2eService;
let bucket: RawBucket;

beforeAll(async () => {
  service = await startE2eService({ env: { FACE_CHECKS: 'on' } });
  service.startWorker({ id: 'photos-e2e' });
  bucket = new RawBucket(service.container.container.get<Env>(SERVICE.env));
}, 30_000);

afterAll(async () => {
  await service?.close();
}, 30_000);

const fixture = (name: string) => readFile(new URL(`../../packages/adapters/test/fixtures/photos/${name}`, import.meta.url));

async function uploaded(owner: Client, name: string): Promise<UploadJson> {
  const bytes = await fixture(name);
  const answer = await owner.upload(bytes, name);
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  expect(answer.body.upload.sourceSha256).toBe(sha256(bytes));
  return answer.body.upload;
}

/** Mean absolute difference of two images as 32x32 greyscale thumbnails (0 = same picture). */
async function difference(a: Uint8Array, b: Uint8Array): Promise<number> {
  const thumb = (bytes: Uint8Array) => sharp(bytes).resize(32, 32, { fit: 'fill' }).greyscale().raw().toBuffer();
  const [x, y] = await Promise.all([thumb(a), thumb(b)]);
  let total = 0;
  for (let i = 0; i < x.length; i += 1) total += Math.abs(x[i]! - y[i]!);
  return total / x.length;
}

describe('photos as phones take them, end to end with the real face model', () => {
  it('an iPhone HEIC and a sideways JPEG with GPS train: the ZIP holds them upright, with no metadata', async () => {
    const owner = new Client(service.url, 'ines');
    const portraits = await Promise.all(['astronaut-a.jpg', 'astronaut-b.jpg'].map((name) => uploaded(owner, name)));
    const heic = await uploaded(owner, 'heic-irot-and-exif-6.heic');
    const sideways = await uploaded(owner, 'jpeg-orientation-6-gps.jpg');
    for (const upload of [heic, sideways]) {
      expect(upload).toMatchObject({ contentType: 'image/jpeg', width: 288, height: 384 });
      expect(upload.checks.map((check) => `${check.name}:${check.outcome}`)).toEqual([
        'face_found:passed',
        'one_face:passed',
        'face_size:passed',
        'sharpness:passed',
        'same_person:passed',
      ]);
    }
    for (const [name, code] of [
      ['no-face.jpg', 'upload.no_face'],
      ['two-people.jpg', 'upload.several_faces'],
    ] as const) {
      const refused = await owner.upload(await fixture(name), name);
      expect([refused.status, refused.body.code]).toEqual([422, code]);
    }
    expect((await owner.uploads()).map((u) => u.id).sort()).toEqual([...portraits, heic, sideways].map((u) => u.id).sort());

    const started = await owner.startTraining();
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const id = started.body.training.id;
    const trainerId = await waitFor(`training ${id} submitted`, async () => trainerIdOf(await owner.training(id)));

    // The package the trainer downloads, read from storage while the training runs.
    const [zipKey] = (await bucket.list('trainings/')).map((object) => object.key).filter((key) => key.includes(id));
    const entries = Object.entries(unzipSync(await bucket.get(zipKey!)));
    expect(entries).toHaveLength(4);
    const upright = await fixture('upright.jpg');
    const byHash = new Map(entries.map(([, bytes]) => [sha256(bytes), bytes]));
    for (const [, bytes] of entries) {
      const meta = await sharp(bytes).metadata();
      expect([meta.exif, meta.xmp, meta.iptc, meta.orientation]).toEqual([undefined, undefined, undefined, undefined]);
      expect(Buffer.from(bytes).includes('TestPhone')).toBe(false);
    }
    for (const upload of [heic, sideways]) {
      const bytes = byHash.get(upload.sha256)!;
      expect(await difference(bytes, upright)).toBeLessThan(10);
    }

    await service.simulator.control.complete(trainerId);
    const done = await waitFor(`training ${id} succeeded`, async () => {
      const training = await owner.training(id);
      return training.status === 'succeeded' ? training : undefined;
    });
    expect(service.simulator.control.training(trainerId)!.imageHashes.slice().sort()).toEqual(
      [...portraits, heic, sideways].map((u) => u.sha256).sort(),
    );
    expect(done.model?.trainingSet.map((item) => item.sha256).sort()).toEqual([...portraits, heic, sideways].map((u) => u.sha256).sort());
  }, 120_000);

  it('a set of two people is refused with the photos named; leaving them out trains', async () => {
    const owner = new Client(service.url, 'mixed');
    const mine = await Promise.all(['astronaut-a.jpg', 'astronaut-b.jpg', 'astronaut-c.jpg'].map((name) => uploaded(owner, name)));
    const other = await Promise.all(['cameraman-a.jpg', 'cameraman-b.jpg'].map((name) => uploaded(owner, name)));
    expect(other.map((u) => u.checks.find((check) => check.name === 'same_person')?.outcome)).toEqual(['warning', 'warning']);

    const refused = await owner.startTraining();
    expect([refused.status, refused.body.code]).toEqual([422, 'training.mixed_people']);
    for (const upload of other) expect(refused.body.detail).toContain(upload.id);
    for (const upload of mine) expect(refused.body.detail).not.toContain(upload.id);

    const started = await owner.startTraining({ uploadIds: mine.map((u) => u.id) });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
  }, 120_000);
});
