import { describe, expect, it } from 'vitest';
import { errAsync } from 'neverthrow';
import { createMemoryCore, type MemoryCore } from '@selfie-lora/adapters';
import {
  auditIntegrity,
  cancelTraining,
  carryOutDueErasures,
  domainError,
  erasePhotosPastRetention,
  listModels,
  startTraining,
  uploadKey,
  type AuditPolicy,
  type OwnerId,
  type Upload,
} from '@selfie-lora/core';
import { advanceTo, alice, bob, errorCode, ownersState, startedPipeline, trainingFor, uploadPhotos } from '../support/memory-core-fixtures.js';
import { withRepositories } from '../support/rewritten-repositories.js';

// Photo retention (issue 12): photos of a training are erased `days` after it succeeded, by the
// same erasure as an owner's delete; the model stays usable and the audit clean.

const DAY = 24 * 3_600_000;
const WEBHOOK = 'https://service.example/v1/webhooks/replicate';
const policy: AuditPolicy = { stuckAfterMs: 1_000 * DAY, graceMs: 60_000, webhookUrl: WEBHOOK };
const DAYS = 30;

async function trained(c: MemoryCore, who: OwnerId, seeds: number[]): Promise<Upload[]> {
  const { pipeline, uploads } = await startedPipeline(c, who, seeds);
  await advanceTo(c, pipeline.id, 'training');
  c.trainer.finish(trainingFor(c, pipeline.id).id, 'succeeded');
  await advanceTo(c, pipeline.id, 'succeeded');
  return uploads;
}

const round = async (c: MemoryCore) => (await erasePhotosPastRetention(c.deps, { days: DAYS, limit: 100 }))._unsafeUnwrap();
const stored = (c: MemoryCore, who: OwnerId) => ownersState(c, who).rows.uploads.filter((u) => u.status === 'stored').map((u) => u.id);

describe('erasePhotosPastRetention', () => {
  it("erases a training's photos once it succeeded that many days ago, keeps the model usable, and nothing else", async () => {
    const c = createMemoryCore({ config: { minPhotos: 3 }, webhookUrl: WEBHOOK });
    const alicesTrained = await trained(c, alice, [1, 2, 3]);
    c.clock.advance(10 * DAY);
    const bobsTrained = await trained(c, bob, [7, 8, 9]);
    const [untrained] = await uploadPhotos(c, alice, [4]);

    c.clock.advance((DAYS - 10) * DAY - 60_000);
    expect(await round(c)).toEqual({ deleted: 0, erased: 0 });
    c.clock.advance(60_000);
    expect(await round(c)).toEqual({ deleted: 3, erased: 3 });

    expect(stored(c, alice)).toEqual([untrained!.id]);
    for (const upload of alicesTrained) expect(c.store.keys()).not.toContain(uploadKey(alice, upload.id));
    expect(c.store.keys()).toContain(uploadKey(alice, untrained!.id));
    expect(c.db.erasureRows().map((e) => [e.reason, e.state])).toEqual([
      ['retention', 'done'],
      ['retention', 'done'],
      ['retention', 'done'],
    ]);
    // The model is still served, its provenance intact; the audit finds nothing wrong.
    const models = (await listModels(c.deps, alice))._unsafeUnwrap();
    expect(models.map((m) => m.trainingSet.map((item) => item.uploadId))).toEqual([alicesTrained.map((u) => u.id)]);
    expect((await auditIntegrity(c.deps, { policy, quarantine: false }))._unsafeUnwrap().violations).toEqual([]);

    // Bob's training succeeded ten days later: his photos go ten days later.
    expect(stored(c, bob)).toEqual(bobsTrained.map((u) => u.id));
    c.clock.advance(10 * DAY);
    expect(await round(c)).toEqual({ deleted: 3, erased: 3 });
    expect(stored(c, bob)).toEqual([]);
    expect(await round(c)).toEqual({ deleted: 0, erased: 0 });
  });

  it('leaves a photo that an active training uses until that training ends', async () => {
    const c = createMemoryCore({ config: { minPhotos: 3 }, webhookUrl: WEBHOOK });
    await trained(c, alice, [1, 2, 3]);
    c.clock.advance(DAYS * DAY);
    const again = (await startTraining(c.deps, { ownerId: alice }))._unsafeUnwrap().pipeline;
    expect(await round(c)).toEqual({ deleted: 0, erased: 0 });
    expect(stored(c, alice)).toHaveLength(3);
    (await cancelTraining(c.deps, { ownerId: alice, pipelineId: again.id }))._unsafeUnwrap();
    expect(await round(c)).toEqual({ deleted: 3, erased: 3 });
    expect(stored(c, alice)).toEqual([]);
  });

  it('what storage fails to erase stays owed (reason retention) and the worker erases it', async () => {
    const c = createMemoryCore({ config: { minPhotos: 3 }, webhookUrl: WEBHOOK });
    const photos = await trained(c, alice, [1, 2, 3]);
    c.clock.advance(DAYS * DAY);
    c.store.faults.failNext('delete');
    expect(await round(c)).toEqual({ deleted: 3, erased: 2 });
    expect(stored(c, alice)).toEqual([]);
    expect(c.db.erasureRows().filter((e) => e.state === 'pending').map((e) => e.reason)).toEqual(['retention']);
    c.clock.advance(3_600_000);
    expect((await carryOutDueErasures(c.deps, { limit: 10 }))._unsafeUnwrap()).toMatchObject({ done: 1 });
    for (const upload of photos) expect(c.store.keys()).not.toContain(uploadKey(alice, upload.id));
  });

  it('a photo whose delete the database refuses stops the round with that error; the photos after it wait for the next round', async () => {
    const c = createMemoryCore({ config: { minPhotos: 3 }, webhookUrl: WEBHOOK });
    await trained(c, alice, [1, 2, 3]);
    c.clock.advance(DAYS * DAY);
    const uow = withRepositories(c.deps.uow, (repos) => ({
      ...repos,
      uploads: { ...repos.uploads, update: () => errAsync(domainError('persistence.constraint', 'check violated')) },
    }));
    expect(errorCode(await erasePhotosPastRetention({ ...c.deps, uow }, { days: DAYS, limit: 100 }))).toBe('persistence.constraint');
    expect(stored(c, alice)).toHaveLength(3);
    expect(c.db.erasureRows()).toEqual([]);
    expect(await round(c)).toEqual({ deleted: 3, erased: 3 });
  });
});
