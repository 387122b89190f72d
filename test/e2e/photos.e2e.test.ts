import { readFile } from 'node:fs/promises';
import { SERVICE, type Env } from '@selfie-lora/adapters';
import { backgroundJobs } from '@selfie-lora/http';
import { imageDifference } from '@selfie-lora/testkit/photos';
import { unzipSync } from 'fflate';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, sha256, trainerIdOf, type Answer, type PendingUploadJson, type UploadJson } from './support/client.js';
import { waitFor } from './support/poll.js';
import { RawBucket } from './support/raw-bucket.js';
import { startE2eService, type E2eService } from './support/service.js';

// Photos as people take them (issue 11), through the real service with the real face model:
// an iPhone-like HEIC and a sideways JPEG with GPS train upright and without metadata; a set of
// two people is refused, naming the photos. Files: packages/adapters/test/fixtures/photos.

// Both ways a deployment judges photos: before answering (the library's default), and after it
// (the service's default, PHOTO_CHECKS_AFTER_ANSWER: the worker's job, here two of them racing
// for the same photos on the same Postgres). The owner is told the same things either way.
const timings = [
  { timing: 'before the answer', afterAnswer: false },
  { timing: 'after the answer', afterAnswer: true },
] as const;

const fixture = (name: string) => readFile(new URL(`../../packages/adapters/test/fixtures/photos/${name}`, import.meta.url));

type Verdict = { readonly kind: 'stored'; readonly upload: UploadJson } | { readonly kind: 'refused'; readonly code: string; readonly message: string };

/** What became of one photo sent: answered at once, or once the worker judged it. */
async function judged(owner: Client, answer: Answer<{ upload: UploadJson; pending?: PendingUploadJson; code?: string; detail?: string }>): Promise<Verdict> {
  if (answer.status === 201) return { kind: 'stored', upload: answer.body.upload };
  if (answer.status === 422) return { kind: 'refused', code: answer.body.code ?? '', message: String(answer.body.detail) };
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  const id = answer.body.pending!.id;
  return waitFor(`photo ${id} judged`, async () => {
    const stored = (await owner.uploads()).find((upload) => upload.id === id);
    if (stored) return { kind: 'stored', upload: stored } as const;
    const refusal = (await owner.pending()).find((photo) => photo.id === id)?.refusal;
    return refusal ? ({ kind: 'refused', code: refusal.code, message: refusal.message } as const) : undefined;
  });
}

describe.each(timings)('photos as phones take them, end to end with the real face model, judged $timing', ({ afterAnswer }) => {
  let service: E2eService;
  let bucket: RawBucket;

  beforeAll(async () => {
    service = await startE2eService({ env: { FACE_CHECKS: 'on', PHOTO_CHECKS_AFTER_ANSWER: afterAnswer ? 'on' : 'off' } });
    for (const id of ['photos-e2e-a', 'photos-e2e-b']) {
      service.startWorker({ id, jobs: backgroundJobs(service.container.deps, { everyMs: 1000, photoChecksEveryMs: 100 }) });
    }
    bucket = new RawBucket(service.container.container.get<Env>(SERVICE.env));
  }, 30_000);

  afterAll(async () => {
    await service?.close();
  }, 30_000);

  async function uploaded(owner: Client, name: string): Promise<UploadJson> {
    const bytes = await fixture(name);
    const answer = await owner.upload(bytes, name);
    expect(answer.status, JSON.stringify(answer.body)).toBe(afterAnswer ? 202 : 201);
    const verdict = await judged(owner, answer);
    if (verdict.kind !== 'stored') throw new Error(`${name} was refused: ${verdict.code}`);
    expect(verdict.upload.sourceSha256).toBe(sha256(bytes));
    return verdict.upload;
  }

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
      const verdict = await judged(owner, await owner.upload(await fixture(name), name));
      expect(verdict).toMatchObject({ kind: 'refused', code });
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
      expect(await imageDifference(bytes, upright)).toBeLessThan(10);
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
