import { beforeAll, describe, expect, it } from 'vitest';
import {
  auditIntegrity,
  destinationFor,
  listModels,
  ModelId,
  uploadKey,
  UploadId,
  type AuditPolicy,
  type AuditReport,
  type AuditViolation,
  type Model,
  type OwnerId,
  type Upload,
} from '@selfie-lora/core';
import { createMemoryCore, type MemoryCore } from '@selfie-lora/adapters/memory';
import { advanceTo, owner, startedPipeline, trainingFor } from '../support/memory-core-fixtures.js';

// The audit reads owners a batch at a time. Over 300 owners, with violations planted in the first,
// a middle and the last batch, and others that reach across batches (a model made of another
// batch's photos or naming another batch's pipeline) or belong to no batch (an object under an
// unknown prefix, a version at a destination of nobody, a training nobody submitted), every batch
// size must report exactly what one batch of everybody reports: a paging bug has nowhere to hide.

const WEBHOOK = 'https://service.example/v1/webhooks/replicate';
const policy: AuditPolicy = { stuckAfterMs: 24 * 3_600_000, graceMs: 60_000, webhookUrl: WEBHOOK };
const OWNERS = 300;
const BATCH = 7;

/** Owner i; ids sort as their numbers do, so batch k holds owners [k * BATCH, (k + 1) * BATCH). */
const ownerAt = (i: number): OwnerId => owner(`owner-${String(i).padStart(3, '0')}`);
const FIRST = 2; // in the first batch
const MIDDLE = 150; // batch 21
const LAST = 298; // in the last batch (of 43)

interface World {
  readonly c: MemoryCore;
  readonly models: Readonly<Record<'first' | 'middle' | 'last', Model>>;
  readonly photoOf: (i: number) => Upload;
}

async function trained(c: MemoryCore, ownerId: OwnerId, seeds: readonly number[]): Promise<Model> {
  const { pipeline } = await startedPipeline(c, ownerId, seeds);
  await advanceTo(c, pipeline.id, 'training');
  c.trainer.finish(trainingFor(c, pipeline.id).id, 'succeeded');
  await advanceTo(c, pipeline.id, 'succeeded');
  return (await listModels(c.deps, ownerId))._unsafeUnwrap()[0]!;
}

/** 300 owners with one stored photo each (rows and bytes copied from a real one); three of them trained for real. */
async function manyOwners(): Promise<World> {
  const c = createMemoryCore({ config: { minPhotos: 3 }, webhookUrl: WEBHOOK });
  const first = await trained(c, ownerAt(FIRST), [1, 2, 3]);
  const middle = await trained(c, ownerAt(MIDDLE), [4, 5, 6]);
  const last = await trained(c, ownerAt(LAST), [7, 8, 9]);
  const template = c.db.snapshot().uploads[0]!;
  const bytes = new Uint8Array(template.byteSize);
  const photos = new Map<number, Upload>();
  await c.db.tamper((tables) => {
    for (let i = 0; i < OWNERS; i += 1) {
      if (i === FIRST || i === MIDDLE || i === LAST) continue;
      const photo: Upload = { ...template, id: UploadId.parse(`photo-${i}`)._unsafeUnwrap(), ownerId: ownerAt(i) };
      tables.uploads.set(photo.id, photo);
      photos.set(i, photo);
    }
  });
  for (const photo of photos.values()) c.store.setBytes(uploadKey(photo.ownerId, photo.id), bytes);
  c.clock.advance(2 * 60_000);
  return {
    c,
    models: { first, middle, last },
    photoOf: (i) => photos.get(i) ?? c.db.snapshot().uploads.find((u) => u.ownerId === ownerAt(i))!,
  };
}

const audit = async (c: MemoryCore, ownersPerBatch?: number): Promise<AuditReport> =>
  (await auditIntegrity(c.deps, { policy, quarantine: false, ...(ownersPerBatch === undefined ? {} : { ownersPerBatch }) }))._unsafeUnwrap();

/** One line per violation: its kind, owner and subject, to compare reports and read failures. */
function lines(violations: readonly AuditViolation[]): string[] {
  return violations.map((v) => {
    const subject = 'key' in v ? v.key : 'modelId' in v ? v.modelId : 'version' in v ? v.version : 'trainerTrainingId' in v ? v.trainerTrainingId : '';
    return `${v.kind} ${v.ownerId ?? '-'} ${subject}`;
  });
}

describe('the audit of many owners, a batch at a time', () => {
  let world: World;
  let planted: { strayKey: string; nobodysVersion: string; unknownTraining: string; middlesVersion: string };

  beforeAll(async () => {
    world = await manyOwners();
    const { c, models } = world;
    // A clean world first: however owners are batched, nothing to report.
    for (const size of [1, BATCH, OWNERS]) expect((await audit(c, size)).violations).toEqual([]);

    // First batch: an orphan under the owner's prefix, and a photo whose bytes are gone.
    c.store.setBytes(uploadKey(ownerAt(0), UploadId.parse('ghost')._unsafeUnwrap()), new Uint8Array(3), { lastModified: new Date(0) });
    await c.store.delete(uploadKey(ownerAt(1), world.photoOf(1).id));
    // Middle batch: the incident at its own destination, and its model made of a photo of the last batch.
    const middlesVersion = c.trainer.plantVersion(destinationFor(c.deps.config.destinationStrategy, ownerAt(MIDDLE + 1)));
    const foreign = world.photoOf(LAST - 1);
    // Last batch: a photo of another size, and a model planted on the first batch's pipeline.
    c.store.setBytes(uploadKey(ownerAt(OWNERS - 1), world.photoOf(OWNERS - 1).id), new Uint8Array(7));
    const plantedId = ModelId.parse('planted-on-another-batch')._unsafeUnwrap();
    await c.db.tamper((tables) => {
      const middle = tables.models.get(models.middle.id)!;
      tables.models.set(middle.id, { ...middle, trainingSet: [...middle.trainingSet, { uploadId: foreign.id, sha256: foreign.sha256 }] });
      tables.models.set(plantedId, { ...models.first, id: plantedId, ownerId: ownerAt(LAST + 1), revision: 0 });
    });
    // No batch's: an object under the prefix of no owner, a version at a destination of nobody,
    // and a training at a known owner's destination that nobody submitted.
    const strayKey = uploadKey(owner('nobody-we-know'), UploadId.parse('stray')._unsafeUnwrap());
    c.store.setBytes(strayKey, new Uint8Array(5), { lastModified: new Date(0) });
    const nobodys = destinationFor(c.deps.config.destinationStrategy, owner('nobody-either'));
    const nobodysVersion = c.trainer.plantVersion(nobodys);
    c.trainer.plantTraining({ destination: nobodys, webhook: WEBHOOK, status: 'succeeded', outputVersion: nobodysVersion });
    const unknownTraining = c.trainer.plantTraining({
      destination: destinationFor(c.deps.config.destinationStrategy, ownerAt(MIDDLE + 3)),
      webhook: WEBHOOK,
      status: 'starting',
    }).trainerTrainingId;
    c.clock.advance(2 * 60_000);
    planted = { strayKey, nobodysVersion, unknownTraining, middlesVersion };
  }, 120_000);

  it('reports in one batch of everybody exactly what was planted', async () => {
    const { models } = world;
    const report = await audit(world.c, OWNERS);
    const nobodysTraining = lines(report.violations).find((line) => line.startsWith('training.unknown -'))!;
    expect(lines(report.violations).sort()).toEqual(
      [
        `version.unrecorded - ${planted.nobodysVersion}`,
        `version.unrecorded ${ownerAt(MIDDLE + 1)} ${planted.middlesVersion}`,
        nobodysTraining,
        `training.unknown ${ownerAt(MIDDLE + 3)} ${planted.unknownTraining}`,
        `model.foreign_upload ${ownerAt(MIDDLE)} ${models.middle.id}`,
        `model.provenance_mismatch ${ownerAt(MIDDLE)} ${models.middle.id}`,
        `model.pipeline_not_succeeded ${ownerAt(LAST + 1)} planted-on-another-batch`,
        `model.foreign_upload ${ownerAt(LAST + 1)} planted-on-another-batch`,
        `object.orphan ${ownerAt(0)} ${uploadKey(ownerAt(0), UploadId.parse('ghost')._unsafeUnwrap())}`,
        `object.orphan - ${planted.strayKey}`,
        `row.object_missing ${ownerAt(1)} ${uploadKey(ownerAt(1), world.photoOf(1).id)}`,
        `row.object_size_differs ${ownerAt(OWNERS - 1)} ${uploadKey(ownerAt(OWNERS - 1), world.photoOf(OWNERS - 1).id)}`,
      ].sort(),
    );
    // Across batches, the evidence names the other batch's rows.
    expect(report.violations).toContainEqual({
      kind: 'model.foreign_upload',
      ownerId: ownerAt(MIDDLE),
      modelId: models.middle.id,
      uploads: [{ uploadId: world.photoOf(LAST - 1).id, uploadOwnerId: ownerAt(LAST - 1) }],
    });
    expect(report.violations).toContainEqual(
      expect.objectContaining({ kind: 'model.pipeline_not_succeeded', ownerId: ownerAt(LAST + 1), pipelineStatus: 'other_owner' }),
    );
    expect(report.scanned).toMatchObject({ owners: OWNERS, destinations: OWNERS + 1, models: 4 });
  });

  it.each([1, BATCH, 64, OWNERS - 1, OWNERS + 1])('reports the same, in the same order, with %i owners per batch', async (size) => {
    const whole = await audit(world.c, OWNERS);
    const batched = await audit(world.c, size);
    expect(batched.violations).toEqual(whole.violations);
    expect(batched.scanned).toEqual(whole.scanned);
  });
});
