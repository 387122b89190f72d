import { describe, expect, it } from 'vitest';
import { createMemoryCore, type MemoryCore } from '@selfie-lora/adapters';
import { advancePipeline, auditIntegrity, carryOutDueErasures, destinationFor, eraseOwner, listModels, listUploads, ownerRef, type AuditPolicy } from '@selfie-lora/core';
import { advanceTo, alice, bob, ownersState, startedPipeline, trainingFor } from '../support/memory-core-fixtures.js';

// Erasure of an owner (issue 12) over the in-memory adapters: nothing of theirs is left in storage
// or at the trainer, their models are `erased`, the audit stays clean, another owner is untouched.

const WEBHOOK = 'https://service.example/v1/webhooks/replicate';
const policy: AuditPolicy = { stuckAfterMs: 24 * 3_600_000, graceMs: 60_000, webhookUrl: WEBHOOK };

/** Alice trained a model and has a second training running; Bob trained too. */
async function world(): Promise<MemoryCore> {
  const c = createMemoryCore({ config: { minPhotos: 3 }, webhookUrl: WEBHOOK });
  for (const [who, seeds] of [[alice, [1, 2, 3]], [bob, [7, 8, 9]]] as const) {
    const { pipeline } = await startedPipeline(c, who, [...seeds]);
    await advanceTo(c, pipeline.id, 'training');
    c.trainer.finish(trainingFor(c, pipeline.id).id, 'succeeded');
    await advanceTo(c, pipeline.id, 'succeeded');
  }
  const { pipeline } = await startedPipeline(c, alice, [4, 5, 6]);
  await advanceTo(c, pipeline.id, 'training');
  return c;
}

describe('eraseOwner', () => {
  it('leaves no object, no version and no model of the owner, keeps the audit clean, and does not touch another owner', async () => {
    const c = await world();
    const bobsBefore = ownersState(c, bob);
    const aliceDestination = destinationFor(c.deps.config.destinationStrategy, alice);
    expect((await c.trainer.listVersions(aliceDestination))._unsafeUnwrap()).toHaveLength(1);

    const report = (await eraseOwner(c.deps, { ownerId: alice }))._unsafeUnwrap();
    expect(report).toMatchObject({ uploadsDeleted: 6, modelsErased: 1 });
    expect(report.canceled?.status).toBe('canceled');
    expect(report.erasures.map((e) => [e.target.kind, e.state])).toEqual([
      ['objects', 'done'],
      ['objects', 'done'],
      ['objects', 'done'],
      ['trainer_model', 'done'],
    ]);
    expect(c.store.keys().filter((key) => key.split('/')[1] === ownerRef(alice))).toEqual([]);
    expect((await c.trainer.listVersions(aliceDestination))._unsafeUnwrap()).toEqual([]);
    expect(c.trainer.destinations.has(`${aliceDestination.owner}/${aliceDestination.name}`)).toBe(false);
    expect([...c.trainer.trainings.values()].filter((t) => t.destination.name === aliceDestination.name).map((t) => t.status)).toContain('canceled');
    expect((await listUploads(c.deps, alice))._unsafeUnwrap()).toEqual([]);
    expect((await listModels(c.deps, alice))._unsafeUnwrap()).toEqual([]);
    expect(c.db.snapshot().models.filter((m) => m.ownerId === alice).map((m) => m.status)).toEqual(['erased']);
    // What Alice wrote is gone from her trainings; their ids, steps and evidence stay.
    const alices = c.db.snapshot().pipelines.filter((p) => p.ownerId === alice);
    expect(alices.map((p) => [p.triggerWord, p.idempotencyKey])).toEqual([
      ['', null],
      ['', null],
    ]);
    expect(alices.every((p) => p.steps.length > 0)).toBe(true);

    c.clock.advance(2 * policy.graceMs);
    expect((await auditIntegrity(c.deps, { policy, quarantine: false }))._unsafeUnwrap().violations).toEqual([]);
    expect(ownersState(c, bob)).toEqual(bobsBefore);
  });

  it('what storage or the trainer fails to erase stays owed, and the worker erases it once due', async () => {
    const c = await world();
    const aliceDestination = destinationFor(c.deps.config.destinationStrategy, alice);
    c.store.faults.failNext('delete');
    c.trainer.faults.failNext('deleteVersion');
    const report = (await eraseOwner(c.deps, { ownerId: alice }))._unsafeUnwrap();
    const pending = report.erasures.filter((e) => e.state === 'pending');
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.map((e) => e.target.kind)).toContain('trainer_model');
    expect((await c.trainer.listVersions(aliceDestination))._unsafeUnwrap()).toHaveLength(1);

    for (let round = 0; round < 5 && c.db.erasureRows().some((e) => e.state === 'pending'); round += 1) {
      c.clock.advance(3_600_000);
      // As the worker does: pipelines' clean-up (the canceled training's ZIP) and erasures owed.
      for (const pipeline of c.db.snapshot().pipelines) (await advancePipeline(c.deps, pipeline.id))._unsafeUnwrap();
      (await carryOutDueErasures(c.deps, { limit: 50 }))._unsafeUnwrap();
    }
    expect(c.db.erasureRows().map((e) => e.state)).toEqual(['done', 'done', 'done', 'done']);
    expect((await c.trainer.listVersions(aliceDestination))._unsafeUnwrap()).toEqual([]);
    expect(c.store.keys().filter((key) => key.split('/')[1] === ownerRef(alice))).toEqual([]);
  });

  it('a version someone else ran is refused, reported with the reason, and never retried blindly', async () => {
    const c = await world();
    const aliceDestination = destinationFor(c.deps.config.destinationStrategy, alice);
    const [version] = (await c.trainer.listVersions(aliceDestination))._unsafeUnwrap();
    c.trainer.protectVersion(version!.version);
    const report = (await eraseOwner(c.deps, { ownerId: alice }))._unsafeUnwrap();
    const trainerSide = report.erasures.find((e) => e.target.kind === 'trainer_model');
    expect(trainerSide).toMatchObject({ state: 'refused' });
    expect(trainerSide?.lastError).toMatch(/^trainer\.deletion_refused: .*someone else has run it/);
    c.clock.advance(24 * 3_600_000);
    expect((await carryOutDueErasures(c.deps, { limit: 50 }))._unsafeUnwrap()).toEqual({ done: 0, refused: 0, retried: 0 });
  });
});
