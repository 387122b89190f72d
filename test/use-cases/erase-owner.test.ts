import { describe, expect, it } from 'vitest';
import { errAsync } from 'neverthrow';
import { createMemoryCore, type MemoryCore } from '@selfie-lora/adapters';
import {
  advancePipeline,
  auditIntegrity,
  carryOutDueErasures,
  destinationFor,
  domainError,
  eraseOwner,
  listErasures,
  listModels,
  listUploads,
  ownerObjectPrefixes,
  ownerRef,
  transientError,
  type AuditPolicy,
  type CoreConfig,
} from '@selfie-lora/core';
import { advanceTo, alice, bob, errorCode, failureCode, ownersState, startedPipeline, trainingFor } from '../support/memory-core-fixtures.js';
import { withRepositories } from '../support/rewritten-repositories.js';

// Erasure of an owner (issue 12) over the in-memory adapters: nothing of theirs is left in storage
// or at the trainer, their models are `erased`, the audit stays clean, another owner is untouched.

const WEBHOOK = 'https://service.example/v1/webhooks/replicate';
const policy: AuditPolicy = { stuckAfterMs: 24 * 3_600_000, graceMs: 60_000, webhookUrl: WEBHOOK };

/** Alice trained a model and has a second training running; Bob trained too. */
async function world(config: Partial<CoreConfig> = {}): Promise<MemoryCore> {
  const c = createMemoryCore({ config: { minPhotos: 3, ...config }, webhookUrl: WEBHOOK });
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

  it('under the shared destination, erases only the versions the owner’s trainings produced, never the model or anyone else’s', async () => {
    const c = await world({ destinationStrategy: { kind: 'shared', account: 'selfie-lora', model: 'everyone' } });
    const shared = destinationFor(c.deps.config.destinationStrategy, alice);
    const versionOf = (who: typeof alice) => c.db.snapshot().models.find((m) => m.ownerId === who)!.version;
    const [alicesVersion, bobsVersion] = [versionOf(alice), versionOf(bob)];

    const report = (await eraseOwner(c.deps, { ownerId: alice }))._unsafeUnwrap();
    expect(report.canceled === null ? null : failureCode(report.canceled)).toBe('training.canceled_by_owner');
    expect(report.erasures.map((e) => [e.target, e.state])).toEqual([
      ...ownerObjectPrefixes(alice).map((prefix) => [{ kind: 'objects', prefix }, 'done']),
      [{ kind: 'trainer_version', version: alicesVersion }, 'done'],
    ]);
    expect((await c.trainer.listVersions(shared))._unsafeUnwrap().map((v) => v.version)).toEqual([bobsVersion]);
    const listed = (await listErasures(c.deps, alice))._unsafeUnwrap();
    expect(listed).toHaveLength(report.erasures.length);
    expect(listed).toEqual(expect.arrayContaining([...report.erasures]));
    expect((await listErasures(c.deps, bob))._unsafeUnwrap()).toEqual([]);
  });

  it('erasing again changes no row already erased and reports nothing newly erased', async () => {
    const c = await world();
    (await eraseOwner(c.deps, { ownerId: alice }))._unsafeUnwrap();
    const { pipelines, models } = ownersState(c, alice).rows;

    const again = (await eraseOwner(c.deps, { ownerId: alice }))._unsafeUnwrap();
    expect(again).toMatchObject({ canceled: null, uploadsDeleted: 0, modelsErased: 0 });
    expect(again.erasures.map((e) => e.state)).toEqual(['done', 'done', 'done', 'done']);
    expect(ownersState(c, alice).rows).toMatchObject({ pipelines, models });
  });

  it('a write that fails inside the erasure leaves everything as it was, and is not retried unless it lost a race', async () => {
    const c = await world();
    const before = ownersState(c, alice);
    // Only the first ten writes fail: a blind retry would get through.
    let reads = 0;
    let writes = 0;
    const uow = withRepositories(c.deps.uow, (repos) => ({
      ...repos,
      uploads: {
        ...repos.uploads,
        listByOwner: (...args) => ((reads += 1), repos.uploads.listByOwner(...args)),
        update: (...args) => ((writes += 1), writes <= 10 ? errAsync(domainError('persistence.constraint', 'check violated')) : repos.uploads.update(...args)),
      },
    }));
    expect(errorCode(await eraseOwner({ ...c.deps, uow }, { ownerId: alice }))).toBe('persistence.constraint');
    expect(reads).toBe(1);
    expect(ownersState(c, alice)).toEqual(before);
    expect(c.db.erasureRows()).toEqual([]);
  });

  it('a transaction that keeps losing races is tried six times in all, then answers the conflict', async () => {
    const c = await world();
    const losing = (times: number) => {
      let reads = 0;
      const uow = withRepositories(c.deps.uow, (repos) => ({
        ...repos,
        uploads: {
          ...repos.uploads,
          listByOwner: (...args) => ((reads += 1), reads <= times ? errAsync(domainError('persistence.conflict', 'raced')) : repos.uploads.listByOwner(...args)),
        },
      }));
      return { deps: { ...c.deps, uow }, reads: () => reads };
    };
    const hopeless = losing(10);
    expect(errorCode(await eraseOwner(hopeless.deps, { ownerId: alice }))).toBe('persistence.conflict');
    expect(hopeless.reads()).toBe(6);
    expect(c.db.erasureRows()).toEqual([]);

    const lucky = losing(5);
    expect((await eraseOwner(lucky.deps, { ownerId: alice }))._unsafeUnwrap().uploadsDeleted).toBe(6);
    expect(lucky.reads()).toBe(6);
  });

  it('an outcome the database cannot record leaves the erasure owed as recorded, and the erasure itself still answers', async () => {
    const c = await world();
    const uow = withRepositories(c.deps.uow, (repos) => ({
      ...repos,
      erasures: { ...repos.erasures, settle: () => errAsync(transientError('persistence.unavailable', 'connection lost')) },
    }));
    const report = (await eraseOwner({ ...c.deps, uow }, { ownerId: alice }))._unsafeUnwrap();
    expect(report.erasures.map((e) => [e.state, e.attempt])).toEqual([
      ['pending', 0],
      ['pending', 0],
      ['pending', 0],
      ['pending', 0],
    ]);
    expect(c.db.erasureRows().map((e) => e.state)).toEqual(['pending', 'pending', 'pending', 'pending']);
  });
});
