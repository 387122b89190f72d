import { describe, expect, it } from 'vitest';
import {
  advancePipeline,
  auditIntegrity,
  cancelTraining,
  destinationFor,
  destinationRef,
  getTraining,
  listModels,
  ModelId,
  quarantineModel,
  releaseModel,
  runPipeline,
  uploadKey,
  type CoreDeps,
  type UnitOfWork,
} from '@selfie-lora/core';
import type { MemoryCore } from '@selfie-lora/adapters/memory';
import {
  advanceTo,
  alice,
  bob,
  errorCode,
  owner,
  packageKeys,
  startedPipeline,
  storedPipeline,
  storedState,
  trainingFor,
} from '../support/memory-core-fixtures.js';
import { auditReport, kinds, policy, trainedWorld, WEBHOOK } from '../support/audit-world.js';
import { trainerLike } from '../support/trainer-like.js';

// The audit use case over the in-memory adapters: every source is read, broken states planted out
// of band (tamper, plantVersion, setBytes) are reported, and only --quarantine changes anything.

const audit = (c: MemoryCore, quarantine = false) => auditReport(c, { quarantine });

describe('auditIntegrity over the in-memory adapters', () => {
  it('reports nothing for a service that only did what it should, and says what it scanned', async () => {
    const { c } = await trainedWorld();
    const report = await audit(c);
    expect(report.violations).toEqual([]);
    expect(report.scanned).toMatchObject({ owners: 2, uploads: 5, pipelines: 1, models: 1, objects: 5, trainings: 1, destinations: 2, versions: 1 });
    expect(report.quarantined).toEqual([]);
    expect(report.quarantineFailed).toEqual([]);
    expect(report.skipped).toEqual([]);
  });

  it('finds the incident: a version at the destination of an owner with no uploads, and the training behind it', async () => {
    const { c } = await trainedWorld();
    const stranger = owner('carol-never-uploaded');
    const destination = destinationFor(c.deps.config.destinationStrategy, stranger);
    const version = c.trainer.plantVersion(destination);
    c.trainer.plantTraining({ destination, webhook: WEBHOOK, status: 'succeeded', outputVersion: version });
    // Within the grace it may be a result not recorded yet; past it, it is the incident.
    expect((await audit(c)).violations).toEqual([]);
    c.clock.advance(policy.graceMs);
    const report = await audit(c);
    expect(kinds(report.violations)).toEqual(['training.unknown', 'version.unrecorded']);
    // Carol has no row at all, so only the trainer's training names her destination.
    expect(report.violations.find((v) => v.kind === 'version.unrecorded')).toMatchObject({ version, destination: destinationRef(destination), ownerId: null });
  });

  it('our own submission whose answer was refused, found and canceled by clean-up, is not an unknown training', async () => {
    const { c } = await trainedWorld();
    const erin = owner('erin');
    const { pipeline } = await startedPipeline(c, erin, [11, 12, 13]);
    await advanceTo(c, pipeline.id, 'submitting');
    // The trainer accepts it but answers for another destination: refused, so no id is recorded.
    const t = c.trainer;
    const trainer = trainerLike(t, {
      submit: (submission) => t.submit(submission).map((report) => ({ ...report, destination: { owner: 'selfie-lora', name: 'elsewhere' } })),
    });
    const refusing: CoreDeps = { ...c.deps, trainer };
    const ended = (await runPipeline(refusing, pipeline.id))._unsafeUnwrap();
    expect(ended).toMatchObject({ status: 'failed', trainerTrainingId: null, failure: { code: 'trainer.destination_mismatch' } });
    expect(trainingFor(c, pipeline.id)).toMatchObject({ status: 'canceled', webhook: WEBHOOK });
    c.clock.advance(policy.graceMs + 1);
    // Every hour the trainer still lists it; it is ours, so the audit stays clean.
    expect((await audit(c)).violations).toEqual([]);
  });

  it('a result the worker has not applied yet is pending, not an unrecorded version', async () => {
    const { c } = await trainedWorld();
    const { pipeline } = await startedPipeline(c, owner('erin'), [11, 12, 13]);
    await advanceTo(c, pipeline.id, 'training');
    c.trainer.finish(trainingFor(c, pipeline.id).id, 'succeeded');
    // The rows still say training (no webhook, no poll yet), past the grace: the version is its result.
    c.clock.advance(policy.graceMs + 1);
    const pending = await audit(c, true);
    expect(pending.violations).toEqual([]);
    expect(pending.scanned).toMatchObject({ versions: 2, pipelines: 2, models: 1 });
    await advanceTo(c, pipeline.id, 'succeeded');
    expect((await audit(c)).violations).toEqual([]);
  });

  it('an ended pipeline whose training the trainer will not cancel is reported stuck once the clean-up is owed too long', async () => {
    const { c } = await trainedWorld();
    const erin = owner('erin');
    const { pipeline } = await startedPipeline(c, erin, [11, 12, 13]);
    await advanceTo(c, pipeline.id, 'training');
    c.trainer.faults.failNext('cancel', 1_000);
    const canceled = (await cancelTraining(c.deps, { ownerId: erin, pipelineId: pipeline.id }))._unsafeUnwrap();
    expect(trainingFor(c, pipeline.id).status).toBe('starting');
    expect(packageKeys(c)).toEqual([]);
    // The worker keeps coming back and keeps failing; the record does not move.
    for (const hours of [1, 11, 13]) {
      c.clock.advance(hours * 3_600_000);
      expect(errorCode(await advancePipeline(c.deps, pipeline.id))).toBe('trainer.unavailable');
    }
    expect(storedPipeline(c, pipeline.id).updatedAt).toEqual(canceled.updatedAt);
    const report = await audit(c);
    expect(report.violations).toEqual([
      {
        kind: 'pipeline.stuck',
        ownerId: erin,
        pipelineId: pipeline.id,
        status: 'canceled',
        updatedAt: canceled.updatedAt,
        stuckForMs: 25 * 3_600_000,
        owes: ['trainer_stop', 'package_delete'],
      },
    ]);
    expect(report.quarantined).toEqual([]);
  });

  it('quarantines exactly the implicated model, hides it from its owner, deletes nothing, and is reversible', async () => {
    const { c, model, pipelineId } = await trainedWorld();
    await c.db.tamper((tables) => {
      const stored = tables.models.get(model.id)!;
      tables.models.set(model.id, { ...stored, trainingSet: [...stored.trainingSet, { uploadId: c.db.snapshot().uploads.find((u) => u.ownerId === bob)!.id, sha256: stored.trainingSet[0]!.sha256 }] });
    });
    const before = storedState(c);
    const readOnly = await audit(c);
    expect(kinds(readOnly.violations)).toEqual(['model.foreign_upload', 'model.provenance_mismatch']);
    expect(storedState(c)).toEqual(before);

    const report = await audit(c, true);
    expect(report.quarantined).toEqual([model.id]);
    expect((await listModels(c.deps, alice))._unsafeUnwrap()).toEqual([]);
    expect((await getTraining(c.deps, alice, pipelineId))._unsafeUnwrap().model).toBeNull();
    const after = storedState(c);
    expect(after.objects).toEqual(before.objects);
    expect(after.rows.models).toMatchObject([{ id: model.id, status: 'quarantined', quarantineReason: 'audit: model.foreign_upload, model.provenance_mismatch' }]);
    // A second run reports the same and quarantines nothing new.
    const again = await audit(c, true);
    expect(kinds(again.violations)).toEqual(kinds(report.violations));
    expect(again.quarantined).toEqual([]);

    await releaseModel(c.deps, { modelId: model.id });
    expect((await listModels(c.deps, alice))._unsafeUnwrap().map((m) => m.id)).toEqual([model.id]);
  });

  it('quarantines every other implicated model when one cannot be changed, and reports that one', async () => {
    const { c, model } = await trainedWorld();
    const dave = owner('dave');
    const { pipeline } = await startedPipeline(c, dave, [6, 7, 8]);
    await advanceTo(c, pipeline.id, 'training');
    c.trainer.finish(trainingFor(c, pipeline.id).id, 'succeeded');
    await advanceTo(c, pipeline.id, 'succeeded');
    c.clock.advance(2 * 60_000);
    const davesModel = (await listModels(c.deps, dave))._unsafeUnwrap()[0]!;
    // Both models name a photo of Bob's.
    const bobsPhoto = c.db.snapshot().uploads.find((u) => u.ownerId === bob)!;
    await c.db.tamper((tables) => {
      for (const id of [model.id, davesModel.id]) {
        const stored = tables.models.get(id)!;
        tables.models.set(id, { ...stored, trainingSet: [...stored.trainingSet, { uploadId: bobsPhoto.id, sha256: bobsPhoto.sha256 }] });
      }
    });
    // The database goes away for the first quarantine only (transaction 1 read the rows).
    let transactions = 0;
    const flaky: UnitOfWork = {
      transaction: (work) => {
        transactions += 1;
        if (transactions === 2) c.db.faults.failNext('transaction');
        return c.deps.uow.transaction(work);
      },
    };
    const report = (await auditIntegrity({ ...c.deps, uow: flaky }, { policy, quarantine: true }))._unsafeUnwrap();
    expect(report.quarantineFailed).toMatchObject([{ modelId: model.id, code: 'persistence.unavailable' }]);
    expect(report.quarantineFailed).toHaveLength(1);
    expect(report.quarantined).toEqual([davesModel.id]);
    expect(c.db.snapshot().models.map((m) => [m.id, m.status]).sort()).toEqual(
      [
        [model.id, 'active'],
        [davesModel.id, 'quarantined'],
      ].sort(),
    );
  });

  it('reports storage drift: an orphan object, a missing one, and one of another size', async () => {
    const { c } = await trainedWorld();
    const [first, second] = c.db.snapshot().uploads.filter((u) => u.ownerId === bob);
    c.store.setBytes(uploadKey(bob, 'ghost' as never), new Uint8Array([1, 2, 3]), { lastModified: new Date(0) });
    await c.store.delete(uploadKey(bob, first!.id));
    c.store.setBytes(uploadKey(bob, second!.id), new Uint8Array(7), { lastModified: new Date(0) });
    expect(kinds((await audit(c)).violations)).toEqual(['object.orphan', 'row.object_missing', 'row.object_size_differs']);
  });

  it('fails as a whole, changing nothing, when a source cannot be read completely', async () => {
    const { c, model } = await trainedWorld();
    await c.db.tamper((tables) => tables.models.set(model.id, { ...tables.models.get(model.id)!, trainingSet: [] }));
    const before = storedState(c);
    c.trainer.faults.failNext('listVersions');
    expect(errorCode(await auditIntegrity(c.deps, { policy, quarantine: true }))).toBe('trainer.unavailable');
    c.store.faults.failNext('list');
    expect(errorCode(await auditIntegrity(c.deps, { policy, quarantine: true }))).toBe('storage.unavailable');
    expect(storedState(c)).toEqual(before);
  });
});

describe('quarantineModel / releaseModel', () => {
  it('refuses unknown models and unusable reasons, changing nothing', async () => {
    const { c, model } = await trainedWorld();
    const before = storedState(c);
    expect(errorCode(await quarantineModel(c.deps, { modelId: ModelId.parse('nope')._unsafeUnwrap(), reason: 'x' }))).toBe('model.not_found');
    expect(errorCode(await releaseModel(c.deps, { modelId: ModelId.parse('nope')._unsafeUnwrap() }))).toBe('model.not_found');
    for (const reason of ['', '   ', 'a'.repeat(501), 'line\nbreak', 'nul\u0000']) {
      expect(errorCode(await quarantineModel(c.deps, { modelId: model.id, reason }))).toBe('model.invalid_quarantine_reason');
    }
    expect(storedState(c)).toEqual(before);
  });

  it('is idempotent both ways and keeps the first reason', async () => {
    const { c, model } = await trainedWorld();
    const first = (await quarantineModel(c.deps, { modelId: model.id, reason: '  looks like a stranger  ' }))._unsafeUnwrap();
    expect(first).toMatchObject({ status: 'quarantined', quarantineReason: 'looks like a stranger' });
    const second = (await quarantineModel(c.deps, { modelId: model.id, reason: 'other' }))._unsafeUnwrap();
    expect(second).toEqual(first);
    expect((await releaseModel(c.deps, { modelId: model.id }))._unsafeUnwrap()).toMatchObject({ status: 'active', quarantineReason: null });
    const released = (await releaseModel(c.deps, { modelId: model.id }))._unsafeUnwrap();
    expect(released.status).toBe('active');
    expect(c.log.events.filter((e) => e.kind.startsWith('model.')).map((e) => e.kind)).toEqual(['model.quarantined', 'model.released']);
  });
});
