import { describe, expect, it } from 'vitest';
import { errAsync, okAsync } from 'neverthrow';
import {
  auditIntegrity,
  destinationFor,
  destinationRef,
  domainError,
  ownerRef,
  transientError,
  uploadKey,
  UploadId,
  PipelineId,
  type DestinationStrategy,
  type ListedPage,
  type ObjectStore,
  type OwnerId,
  type PersistenceError,
  type Repositories,
  type UnitOfWork,
  type Upload,
} from '@selfie-lora/core';
import type { MemoryCore, MemoryTables } from '@selfie-lora/adapters/memory';
import { advanceTo, alice, bob, errorCode, owner, startedPipeline } from '../support/memory-core-fixtures.js';
import { auditReport, kinds, policy, trainedWorld, WEBHOOK } from '../support/audit-world.js';
import { portLike } from '../support/port-like.js';
import { withRepositories } from '../support/rewritten-repositories.js';

// The audit's paths that a clean run never takes: rows that no longer parse, ports that fail or
// answer oddly, the bucket and the owners read a page at a time, the shared destination strategy,
// and what --quarantine does around models it cannot or need not change.

const corrupt = (detail: string): PersistenceError => domainError('persistence.corrupt', detail);
const unavailable = (): PersistenceError => transientError('persistence.unavailable', 'the database went away');
const SETTLED = new Date(0);

/** The core's deps with every transaction's repositories rewritten by `rewrite`. */
function withRepos(c: MemoryCore, rewrite: (repos: Repositories) => Repositories) {
  return { ...c.deps, uow: withRepositories(c.deps.uow, rewrite) };
}

/** The core's deps with a database that refuses every transaction from the `n`-th on (counting from 1). */
function databaseGoneFrom(c: MemoryCore, n: number) {
  let transactions = 0;
  const uow: UnitOfWork = {
    transaction: (work) => {
      transactions += 1;
      if (transactions >= n) c.db.faults.failNext('transaction');
      return c.deps.uow.transaction(work);
    },
  };
  return { ...c.deps, uow };
}

/** `repos` with `ownerId`'s rows of `table` no longer parsing. */
function unreadableFor(ownerId: OwnerId, repos: Repositories, table: 'models' | 'pipelines' | 'uploads'): Repositories {
  const refused = (id: OwnerId) => errAsync(corrupt(`row of ${id} is not json`));
  switch (table) {
    case 'models':
      return { ...repos, models: { ...repos.models, listByOwner: (id) => (id === ownerId ? refused(id) : repos.models.listByOwner(id)) } };
    case 'pipelines':
      return { ...repos, pipelines: { ...repos.pipelines, listByOwner: (id) => (id === ownerId ? refused(id) : repos.pipelines.listByOwner(id)) } };
    case 'uploads':
      return { ...repos, uploads: { ...repos.uploads, listByOwner: (id, options) => (id === ownerId ? refused(id) : repos.uploads.listByOwner(id, options)) } };
  }
}

/** Every row of `ownerId`, gone (as the owner's erasure leaves the tables). */
function forgetOwner(tables: MemoryTables, ownerId: OwnerId): void {
  for (const table of [tables.uploads, tables.pipelines, tables.models] as Map<string, { readonly ownerId: OwnerId }>[]) {
    for (const [id, row] of table) if (row.ownerId === ownerId) table.delete(id);
  }
}

describe('rows that no longer parse', () => {
  it.each(['models', 'pipelines', 'uploads'] as const)("an owner's unreadable %s are reported, and the audit goes on with everyone else", async (table) => {
    const { c } = await trainedWorld();
    const deps = withRepos(c, (repos) => unreadableFor(alice, repos, table));
    const report = await auditReport(c, { deps });
    expect(report.violations.filter((v) => v.kind === 'row.unreadable')).toEqual([
      { kind: 'row.unreadable', ownerId: alice, table, detail: 'row of alice is not json' },
    ]);
    expect(report.scanned.owners).toBe(2);
    // Bob's rows were read all the same: his two photos are in the count.
    expect(report.scanned.uploads).toBe(table === 'uploads' ? 2 : 5);
  });

  it('an owner whose table cannot be read for another reason fails the audit', async () => {
    const { c } = await trainedWorld();
    const deps = withRepos(c, (repos) => ({ ...repos, models: { ...repos.models, listByOwner: () => errAsync(unavailable()) } }));
    expect(errorCode(await auditIntegrity(deps, { policy, quarantine: false }))).toBe('persistence.unavailable');
  });

  it("a model whose owner's pipelines are unreadable has no pipeline: its own is not looked up around the unreadable table", async () => {
    const { c, model, pipelineId } = await trainedWorld();
    const deps = withRepos(c, (repos) => unreadableFor(alice, repos, 'pipelines'));
    const report = await auditReport(c, { deps });
    expect(report.violations).toContainEqual({ kind: 'model.pipeline_not_succeeded', ownerId: alice, modelId: model.id, pipelineId, pipelineStatus: 'missing' });
  });

  it("a photo of another owner's that no longer parses counts as nobody's; one that cannot be read fails the audit", async () => {
    const { c, model } = await trainedWorld();
    const bobsPhoto = c.db.snapshot().uploads.find((u) => u.ownerId === bob)!;
    await c.db.tamper((tables) => {
      const stored = tables.models.get(model.id)!;
      tables.models.set(model.id, { ...stored, trainingSet: [...stored.trainingSet, { uploadId: bobsPhoto.id, sha256: bobsPhoto.sha256 }] });
    });
    const lookingUp = (answer: () => ReturnType<Repositories['uploads']['getById']>) =>
      withRepos(c, (repos) => ({ ...repos, uploads: { ...repos.uploads, getById: (id) => (id === bobsPhoto.id ? answer() : repos.uploads.getById(id)) } }));
    const foreign = (report: Awaited<ReturnType<typeof auditReport>>) => report.violations.find((v) => v.kind === 'model.foreign_upload');
    // Batched one owner at a time, Bob's photo is looked up for Alice's model.
    expect(foreign(await auditReport(c, { ownersPerBatch: 1 }))).toMatchObject({ uploads: [{ uploadId: bobsPhoto.id, uploadOwnerId: bob }] });
    const unreadable = await auditReport(c, { ownersPerBatch: 1, deps: lookingUp(() => errAsync(corrupt('bad row'))) });
    expect(foreign(unreadable)).toMatchObject({ uploads: [{ uploadId: bobsPhoto.id, uploadOwnerId: null }] });
    expect(errorCode(await auditIntegrity(lookingUp(() => errAsync(unavailable())), { policy, quarantine: false, ownersPerBatch: 1 }))).toBe('persistence.unavailable');
  });

  it("a pipeline whose manifest does not hold its set names the model made from it, even when that model sits in another owner's batch", async () => {
    const { c, model, pipelineId } = await trainedWorld();
    await c.db.tamper((tables) => {
      const pipeline = tables.pipelines.get(pipelineId)!;
      if (pipeline.status !== 'succeeded') throw new Error('expected a succeeded pipeline');
      tables.pipelines.set(pipelineId, { ...pipeline, package: { ...pipeline.package, entries: pipeline.package.entries.slice(1) } });
      tables.models.set(model.id, { ...tables.models.get(model.id)!, ownerId: bob });
    });
    const report = await auditReport(c, { ownersPerBatch: 1 });
    expect(report.violations).toContainEqual(expect.objectContaining({ kind: 'pipeline.manifest_mismatch', ownerId: alice, pipelineId, modelId: model.id }));
  });
});

describe('the trainer side, batched', () => {
  it('names the owner of the destination an unknown training names, and nobody for one that names none', async () => {
    const { c } = await trainedWorld();
    const atAlices = c.trainer.plantTraining({ destination: destinationFor(c.deps.config.destinationStrategy, alice), webhook: WEBHOOK });
    const nowhere = c.trainer.plantTraining({ destination: null, webhook: WEBHOOK });
    c.clock.advance(policy.graceMs + 1);
    const report = await auditReport(c);
    expect(report.violations.map((v) => (v.kind === 'training.unknown' ? [v.trainerTrainingId, v.ownerId, v.destination] : v.kind))).toEqual([
      [nowhere.trainerTrainingId, null, null],
      [atAlices.trainerTrainingId, alice, destinationRef(destinationFor(c.deps.config.destinationStrategy, alice))],
    ]);
  });

  it("the result of a submission whose answer was lost is pending while the pipeline it names is active", async () => {
    const { c } = await trainedWorld();
    const erin = owner('erin');
    const { pipeline } = await startedPipeline(c, erin, [11, 12, 13]);
    const submitting = await advanceTo(c, pipeline.id, 'submitting');
    // The trainer accepted it and finished it; the pipeline never learnt its training id.
    const version = c.trainer.plantVersion(submitting.destination);
    c.trainer.plantTraining({ destination: submitting.destination, pipelineId: pipeline.id, webhook: WEBHOOK, status: 'succeeded', outputVersion: version });
    c.clock.advance(policy.graceMs + 1);
    expect((await auditReport(c)).violations).toEqual([]);
  });

  it('without a webhook URL says the training check was skipped, and reports no training', async () => {
    const { c } = await trainedWorld();
    c.trainer.plantTraining({ destination: null, webhook: WEBHOOK });
    c.clock.advance(policy.graceMs + 1);
    const report = await auditReport(c, { policy: { ...policy, webhookUrl: null } });
    expect(report.skipped).toEqual(['training.unknown: no webhook URL configured, so trainings cannot be matched to us']);
    expect(report.violations).toEqual([]);
  });
});

describe('the shared destination strategy', () => {
  const shared: DestinationStrategy = { kind: 'shared', account: 'selfie-lora', model: 'everyone' };

  it('checks versions at the shared destination against every pipeline that recorded one there', async () => {
    const { c, model } = await trainedWorld({ destinationStrategy: shared });
    expect(model.destination).toEqual({ owner: 'selfie-lora', name: 'everyone' });
    // The trainer no longer lists Alice's training: only her pipeline's row vouches for her version.
    c.trainer.trainings.clear();
    const clean = await auditReport(c);
    expect(clean.violations).toEqual([]);
    expect(clean.scanned).toMatchObject({ destinations: 1, versions: 1 });
    const plantedAt = c.clock.now();
    const planted = c.trainer.plantVersion(model.destination);
    c.clock.advance(policy.graceMs + 1);
    const report = await auditReport(c);
    expect(report.violations).toEqual([
      { kind: 'version.unrecorded', ownerId: null, destination: 'selfie-lora/everyone', version: planted, createdAt: plantedAt, trainerTrainingId: null, pipelineId: null },
    ]);
    expect(report.scanned).toMatchObject({ destinations: 1, versions: 2 });
  });

  it('after a switch back to per owner, still lists the shared destination a pipeline names, and knows the versions recorded there', async () => {
    const { c, model } = await trainedWorld({ destinationStrategy: shared });
    c.trainer.trainings.clear();
    const planted = c.trainer.plantVersion(model.destination);
    c.clock.advance(policy.graceMs + 1);
    const deps = { ...c.deps, config: { ...c.deps.config, destinationStrategy: { kind: 'per-owner', account: 'selfie-lora' } as const } };
    const report = await auditReport(c, { deps });
    // Only Alice's pipeline names the shared destination: her version there is recorded, the planted one is not.
    expect(report.violations).toMatchObject([{ kind: 'version.unrecorded', version: planted, destination: 'selfie-lora/everyone', ownerId: null }]);
    expect(report.scanned).toMatchObject({ destinations: 3, versions: 2 });
  });

  it('lists an owner destination of the per-owner days once, however many batches and trainings name it', async () => {
    const { c } = await trainedWorld();
    const home = destinationFor(c.deps.config.destinationStrategy, alice);
    const planted = c.trainer.plantVersion(home);
    c.clock.advance(policy.graceMs + 1);
    const deps = { ...c.deps, config: { ...c.deps.config, destinationStrategy: shared } };
    for (const ownersPerBatch of [1, 2]) {
      const report = await auditReport(c, { deps, ownersPerBatch });
      expect(report.violations).toMatchObject([{ kind: 'version.unrecorded', version: planted, destination: destinationRef(home) }]);
      // Alice's old destination and the shared one, each listed once.
      expect(report.scanned).toMatchObject({ destinations: 2, versions: 2 });
    }
  });
});

describe('objects under no known owner', () => {
  const strayNaming = (ownerId: typeof alice) => `notes/${ownerRef(ownerId)}/left-here`;

  it("are counted and reported, with the owner a key names outside that owner's prefixes", async () => {
    const { c } = await trainedWorld();
    c.store.setBytes(strayNaming(alice), new Uint8Array(4), { lastModified: SETTLED });
    c.store.setBytes('loose-object', new Uint8Array(2), { lastModified: SETTLED });
    const report = await auditReport(c);
    expect(report.violations).toEqual([
      { kind: 'object.orphan', ownerId: null, key: 'loose-object', byteSize: 2, lastModified: SETTLED, reason: 'unknown_key' },
      { kind: 'object.orphan', ownerId: alice, key: strayNaming(alice), byteSize: 4, lastModified: SETTLED, reason: 'unknown_key' },
    ]);
    expect(report.scanned.objects).toBe(5 + 2);
  });

  it('finds the owner a stray key names on a later page of owners', async () => {
    const { c } = await trainedWorld();
    // 200 more owners, each with a deleted photo (nothing to judge), so owners span two pages.
    const template = c.db.snapshot().uploads[0]!;
    const filler = (i: number) => owner(`filler-${String(i).padStart(3, '0')}`);
    await c.db.tamper((tables) => {
      for (let i = 0; i < 200; i += 1) {
        const photo: Upload = { ...template, id: UploadId.parse(`filler-photo-${i}`)._unsafeUnwrap(), ownerId: filler(i), status: 'deleted', deletedAt: template.createdAt };
        tables.uploads.set(photo.id, photo);
      }
    });
    // Alice is on the first page of owners: that page is all the lookup reads (two transactions
    // read the two batches of owners, a third that page; the database is gone after that).
    c.store.setBytes(strayNaming(alice), new Uint8Array(1), { lastModified: SETTLED });
    const first = await auditReport(c, { deps: databaseGoneFrom(c, 4) });
    expect(first.scanned.owners).toBe(202);
    expect(first.violations).toMatchObject([{ kind: 'object.orphan', key: strayNaming(alice), ownerId: alice }]);
    await c.store.delete(strayNaming(alice));
    const last = filler(199);
    c.store.setBytes(strayNaming(last), new Uint8Array(1), { lastModified: SETTLED });
    expect((await auditReport(c)).violations).toMatchObject([{ kind: 'object.orphan', key: strayNaming(last), ownerId: last }]);
  });

  it('are not judged, nor their owner looked up, while young; nor is an owner nobody knows', async () => {
    const { c } = await trainedWorld();
    // Exactly as old as the grace: not settled yet.
    c.store.setBytes(strayNaming(alice), new Uint8Array(4), { lastModified: new Date(c.clock.now().getTime() - policy.graceMs) });
    c.store.setBytes(strayNaming(owner('nobody-we-know')), new Uint8Array(3), { lastModified: SETTLED });
    // One transaction reads the batch of both owners; the database is gone for anything after it.
    const report = await auditReport(c, { deps: databaseGoneFrom(c, 2) });
    expect(report.violations).toMatchObject([{ kind: 'object.orphan', key: strayNaming(owner('nobody-we-know')), ownerId: null }]);
    expect(report.scanned.objects).toBe(5 + 2);
  });

  it('name nobody when the owner a key names is gone by the time it is looked up', async () => {
    const { c } = await trainedWorld();
    c.store.setBytes(strayNaming(alice), new Uint8Array(4), { lastModified: SETTLED });
    // Alice's rows are erased between the batch that read them and the lookup of her reference.
    let transactions = 0;
    const uow: UnitOfWork = {
      transaction: (work) => {
        transactions += 1;
        if (transactions === 2) void c.db.tamper((tables) => forgetOwner(tables, alice));
        return c.deps.uow.transaction(work);
      },
    };
    const report = await auditReport(c, { deps: { ...c.deps, uow } });
    expect(report.violations).toMatchObject([{ kind: 'object.orphan', key: strayNaming(alice), ownerId: null }]);
  });

  it('fail the audit when the owner a stray key names cannot be looked up', async () => {
    const { c } = await trainedWorld();
    c.store.setBytes(strayNaming(alice), new Uint8Array(4), { lastModified: SETTLED });
    expect(errorCode(await auditIntegrity(databaseGoneFrom(c, 2), { policy, quarantine: false }))).toBe('persistence.unavailable');
  });
});

describe('the walk over the whole bucket', () => {
  /** The core's deps with the store's `listPage` answered by `listPage`, and every call to it recorded. */
  function listingPages(c: MemoryCore, listPage: ObjectStore['listPage'] = (...args) => c.store.listPage(...args)) {
    const calls: (string | null)[] = [];
    const objects = portLike<ObjectStore>(c.store, {
      listPage: (prefix, startAfter, limit) => {
        calls.push(startAfter);
        return listPage(prefix, startAfter, limit);
      },
    });
    return { deps: { ...c.deps, objects }, calls };
  }

  it('reads the bucket a page at a time, each page once, and finds a stray on the last one', async () => {
    const { c } = await trainedWorld();
    const upload = (i: number) => uploadKey(bob, UploadId.parse(`young-${String(i).padStart(4, '0')}`)._unsafeUnwrap());
    // Young objects under Bob's prefix, not judged yet; they fill more than a page.
    for (let i = 0; i < 1001; i += 1) c.store.setBytes(upload(i), new Uint8Array(1));
    c.store.setBytes('zz-stray', new Uint8Array(1), { lastModified: SETTLED });
    const { deps, calls } = listingPages(c);
    const report = await auditReport(c, { deps });
    expect(report.violations).toMatchObject([{ kind: 'object.orphan', key: 'zz-stray', ownerId: null }]);
    expect(calls).toEqual([null, c.store.keys()[999]]);
    expect(report.scanned.objects).toBe(5 + 1001 + 1);

    // A bucket that fits in one page is read once.
    const small = (await trainedWorld()).c;
    const single = listingPages(small);
    await auditReport(small, { deps: single.deps });
    expect(single.calls).toEqual([null]);
  });

  it('ends the walk at an empty page, even one that says there is more', async () => {
    const { c } = await trainedWorld();
    const { deps, calls } = listingPages(c, () => okAsync<ListedPage>({ objects: [], more: true }));
    expect((await auditReport(c, { deps })).violations).toEqual([]);
    expect(calls).toEqual([null]);
  });

  it('fails the audit when a page cannot be listed', async () => {
    const { c } = await trainedWorld();
    const { deps } = listingPages(c, () => errAsync(transientError('storage.unavailable', 'listing refused')));
    expect(errorCode(await auditIntegrity(deps, { policy, quarantine: false }))).toBe('storage.unavailable');
  });
});

describe('quarantine around models it cannot or need not change', () => {
  it('quarantines nothing, and asks nothing of the database, for violations that implicate no model', async () => {
    const { c } = await trainedWorld();
    c.store.setBytes('loose-object', new Uint8Array(2), { lastModified: SETTLED });
    const deps = withRepos(c, (repos) => ({ ...repos, models: { ...repos.models, getById: () => errAsync(unavailable()) } }));
    const report = await auditReport(c, { deps, quarantine: true });
    expect(kinds(report.violations)).toEqual(['object.orphan']);
    expect(report.quarantined).toEqual([]);
    expect(report.quarantineFailed).toEqual([]);
  });

  it('leaves alone a model gone since it was read', async () => {
    const { c, model } = await trainedWorld();
    await c.db.tamper((tables) => tables.models.set(model.id, { ...tables.models.get(model.id)!, trainingSet: [] }));
    const deps = withRepos(c, (repos) => ({ ...repos, models: { ...repos.models, getById: () => okAsync(null) } }));
    const report = await auditReport(c, { deps, quarantine: true });
    expect(kinds(report.violations)).toContain('model.empty_training_set');
    expect(report.quarantined).toEqual([]);
    expect(report.quarantineFailed).toEqual([]);
  });

  it('gives as reason every kind that implicates the model, sorted', async () => {
    const { c, model } = await trainedWorld();
    await c.db.tamper((tables) => tables.models.set(model.id, { ...tables.models.get(model.id)!, trainingSet: [], pipelineId: PipelineId.parse('gone')._unsafeUnwrap() }));
    const report = await auditReport(c, { quarantine: true });
    // Found in the order pipeline, then photos; the reason lists them by name.
    expect(report.violations.map((v) => v.kind)).toEqual(['model.pipeline_not_succeeded', 'model.empty_training_set']);
    expect(report.quarantined).toEqual([model.id]);
    expect(c.db.snapshot().models).toMatchObject([{ id: model.id, quarantineReason: 'audit: model.empty_training_set, model.pipeline_not_succeeded' }]);
  });
});
