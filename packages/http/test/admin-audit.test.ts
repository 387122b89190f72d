import { describe, expect, it, vi } from 'vitest';
import { destinationFor, destinationRef, ModelId, uploadKey, type Model } from '@selfie-lora/core';
import { restoreModel } from '@selfie-lora/core/persistence';
import {
  adminAuth,
  audit,
  auditPolicy,
  getAudit,
  kinds,
  listedModels,
  owner,
  trainedWorld,
  WEBHOOK_URL,
  type AuditReportJson,
  type TrainedWorld,
} from './support/audit-world.js';
import { finishTraining, runToWaiting } from './support/drive.js';
import { expectProblem, harness, json, startTraining, storedState, uploadPhotos } from './support/harness.js';
import { ADMIN_TOKEN, bearer, tokenFor } from './support/tokens.js';

// GET /v1/admin/audit over the whole core in memory: broken states are planted out of band
// (tamper, plantVersion, plantTraining, setBytes) and must show in the report; the route never
// changes anything, and a source it cannot read completely fails it.

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const alice = owner('alice');
const bob = owner('bob');
const carol = owner('carol-never-uploaded');

/** Adds one of Bob's photos to Alice's served model: a foreign photo and a provenance mismatch. */
async function plantForeignPhoto({ h, model }: TrainedWorld): Promise<string> {
  const bobsUpload = h.core.db.snapshot().uploads.find((u) => u.ownerId === bob)!;
  await h.core.db.tamper((tables) => {
    const stored = tables.models.get(model.id)!;
    tables.models.set(model.id, { ...stored, trainingSet: [...stored.trainingSet, { uploadId: bobsUpload.id, sha256: bobsUpload.sha256 }] });
  });
  return bobsUpload.id;
}

describe('GET /v1/admin/audit: authentication', () => {
  it('requires the admin token, compared exactly, and runs nothing for anyone else (an owner JWT included)', async () => {
    const { h } = await trainedWorld();
    const listings = vi.spyOn(h.core.trainer, 'listTrainings');
    const call = (authorization?: string) => getAudit(h, authorization === undefined ? {} : { authorization });
    expectProblem(await call(), 401, 'auth.missing_token');
    expectProblem(await call('Bearer'), 401, 'auth.missing_token');
    expectProblem(await call(`Bearer ${ADMIN_TOKEN}x`), 401, 'auth.invalid_token');
    expectProblem(await call(`Bearer ${ADMIN_TOKEN.slice(0, -1)}`), 401, 'auth.invalid_token');
    expectProblem(await call(`Basic ${ADMIN_TOKEN}`), 401, 'auth.missing_token');
    expectProblem(await call(`Bearer ${await tokenFor('alice')}`), 401, 'auth.invalid_token');
    expectProblem(await call(`Bearer ${await tokenFor('admin')}`), 401, 'auth.invalid_token');
    expect(listings).not.toHaveBeenCalled();
    const allowed = await call(`Bearer ${ADMIN_TOKEN}`);
    expect(allowed.statusCode, allowed.body).toBe(200);
    expect(listings).toHaveBeenCalledTimes(1);
  });
});

describe('GET /v1/admin/audit: the report', () => {
  it('reports no violation for a service that only did what it should, with counts of what it scanned', async () => {
    const { h } = await trainedWorld();
    const response = await getAudit(h);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const report = json<AuditReportJson>(response);
    const rows = h.core.db.snapshot();
    expect(report).toEqual({
      checkedAt: h.core.clock.now().toISOString(),
      // Alice: 3 photos, 1 pipeline, 1 model, 1 version at her destination; Bob: 2 photos. The
      // package was cleaned up after training, so storage holds the 5 photos only.
      scanned: { owners: 2, uploads: 5, pipelines: 1, models: 1, objects: 5, trainings: 1, destinations: 2, versions: 1 },
      skipped: [],
      violations: [],
      quarantined: [],
      quarantineFailed: [],
    });
    expect([rows.uploads.length, rows.pipelines.length, rows.models.length, h.core.store.keys().length]).toEqual([5, 1, 1, 5]);
  });

  it('counts what is there: an empty service scans nothing, and new rows, objects and trainings are counted', async () => {
    const h = await harness({ webhookUrl: WEBHOOK_URL, app: { auditPolicy } });
    expect((await audit(h)).scanned).toEqual({ owners: 0, uploads: 0, pipelines: 0, models: 0, objects: 0, trainings: 0, destinations: 0, versions: 0 });
    await uploadPhotos(h, h.alice, [1, 2, 3]);
    await uploadPhotos(h, h.bob, [4]);
    const started = await startTraining(h, h.alice);
    await runToWaiting(h.core, json<{ training: { id: string } }>(started).training.id);
    const report = await audit(h);
    // The training is under way: its package is still stored, and no version exists yet.
    expect(report.scanned).toEqual({ owners: 2, uploads: 4, pipelines: 1, models: 0, objects: 5, trainings: 1, destinations: 2, versions: 0 });
    expect(report.violations).toEqual([]);
  });

  it('uses the audit policy the app was given: without a webhook URL the unknown-training check is skipped and says so', async () => {
    const h = await harness();
    const destination = destinationFor(h.core.deps.config.destinationStrategy, carol);
    h.core.trainer.plantTraining({ destination, webhook: WEBHOOK_URL, status: 'starting' });
    const report = await audit(h);
    expect(report.skipped).toEqual([expect.stringMatching(/^training\.unknown: /) as string]);
    expect(report.violations).toEqual([]);

    const configured = await harness({ webhookUrl: WEBHOOK_URL, app: { auditPolicy } });
    configured.core.trainer.plantTraining({ destination, webhook: WEBHOOK_URL, status: 'starting' });
    // Within the grace a training may be a submission not recorded yet; past it, it is judged.
    expect(kinds(await audit(configured))).toEqual([]);
    configured.core.clock.advance(auditPolicy.graceMs);
    const checked = await audit(configured);
    expect(checked.skipped).toEqual([]);
    expect(kinds(checked)).toEqual(['training.unknown']);
  });

  it('finds the incident: a version at the destination of an owner with zero uploads who trained nothing', async () => {
    const { h } = await trainedWorld();
    const destination = destinationFor(h.core.deps.config.destinationStrategy, carol);
    const plantedAt = h.core.clock.now().toISOString();
    const version = h.core.trainer.plantVersion(destination);
    const training = h.core.trainer.plantTraining({ destination, webhook: WEBHOOK_URL, status: 'succeeded', outputVersion: version });
    h.core.clock.advance(60_000);
    const report = await audit(h);
    expect(report.checkedAt).toBe(h.core.clock.now().toISOString());
    expect(report.checkedAt).not.toBe(plantedAt);
    // Carol has no row at all: only the trainer's listing names her destination, so nobody we know owns it.
    expect(report.violations).toEqual([
      {
        kind: 'version.unrecorded',
        ownerId: null,
        destination: destinationRef(destination),
        version,
        createdAt: plantedAt,
        trainerTrainingId: training.trainerTrainingId,
        pipelineId: null,
      },
      {
        kind: 'training.unknown',
        ownerId: null,
        trainerTrainingId: training.trainerTrainingId,
        destination: destinationRef(destination),
        status: 'succeeded',
        outputVersion: version,
        createdAt: plantedAt,
      },
    ]);
    expect(report.scanned).toMatchObject({ owners: 2, trainings: 2, destinations: 3, versions: 2 });
    for (const violation of report.violations) expect(violation.createdAt).toMatch(ISO);
  });

  it('finds the incident as it happened: a model row for an owner with zero uploads, made of another owner\'s photos', async () => {
    const { h, model, trainingId } = await trainedWorld();
    const destination = destinationFor(h.core.deps.config.destinationStrategy, carol);
    const plantedAt = h.core.clock.now().toISOString();
    const version = h.core.trainer.plantVersion(destination);
    h.core.clock.advance(auditPolicy.graceMs);
    const strangerModel = ModelId.parse('model-of-a-stranger')._unsafeUnwrap();
    await h.core.db.tamper((tables) => {
      const alicesModel = tables.models.get(model.id)!;
      tables.models.set(strangerModel, { ...alicesModel, id: strangerModel, ownerId: carol, destination, version, revision: 0 });
    });
    const report = await audit(h);
    const alicesPhotos = model.trainingSet.map((item) => ({ uploadId: item.uploadId, uploadOwnerId: alice }));
    expect(report.violations).toEqual([
      {
        kind: 'version.unrecorded',
        ownerId: carol,
        destination: destinationRef(destination),
        version,
        createdAt: plantedAt,
        trainerTrainingId: null,
        pipelineId: null,
      },
      { kind: 'model.pipeline_not_succeeded', ownerId: carol, modelId: strangerModel, pipelineId: trainingId, pipelineStatus: 'other_owner' },
      { kind: 'model.foreign_upload', ownerId: carol, modelId: strangerModel, uploads: alicesPhotos },
    ]);
    expect(report.scanned).toMatchObject({ owners: 3, models: 2, destinations: 3, versions: 2 });
    // Carol is never served that model.
    expect(await listedModels(h, bearer(await tokenFor(carol)))).toEqual([]);
  });

  it('reports a model planted on a failed pipeline, and only reports it: the GET quarantines nothing', async () => {
    const world = await trainedWorld();
    const { h, model } = world;
    await uploadPhotos(h, h.bob, [6]);
    const bobsTraining = json<{ training: { id: string } }>(await startTraining(h, h.bob)).training.id;
    await runToWaiting(h.core, bobsTraining);
    finishTraining(h.core, bobsTraining, 'failed');
    expect(await runToWaiting(h.core, bobsTraining)).toBe('failed');
    const failed = h.core.db.snapshot().pipelines.find((p) => p.id === bobsTraining)!;
    const destination = destinationFor(h.core.deps.config.destinationStrategy, bob);
    const version = h.core.trainer.plantVersion(destination);
    h.core.clock.advance(auditPolicy.graceMs);
    const plantedId = ModelId.parse('planted-on-failure')._unsafeUnwrap();
    const planted: Model = restoreModel({
      id: plantedId,
      ownerId: bob,
      pipelineId: failed.id,
      destination,
      version,
      status: 'active',
      quarantineReason: null,
      trainingSet: failed.trainingSet.items.map((item) => ({ uploadId: item.uploadId, sha256: item.sha256 })),
      createdAt: h.core.clock.now(),
      revision: 0,
    });
    await h.core.db.tamper((tables) => tables.models.set(plantedId, planted));
    // And Alice's served model gets one of Bob's photos.
    const foreign = await plantForeignPhoto(world);
    const before = storedState(h.core);

    const report = await audit(h);
    expect(kinds(report)).toEqual(['model.foreign_upload', 'model.pipeline_not_succeeded', 'model.provenance_mismatch', 'version.unrecorded']);
    expect(report.violations).toEqual(
      expect.arrayContaining([
        { kind: 'model.pipeline_not_succeeded', ownerId: bob, modelId: plantedId, pipelineId: failed.id, pipelineStatus: 'failed' },
        expect.objectContaining({ kind: 'version.unrecorded', ownerId: bob, version, pipelineId: null }),
        { kind: 'model.foreign_upload', ownerId: alice, modelId: model.id, uploads: [{ uploadId: foreign, uploadOwnerId: bob }] },
        expect.objectContaining({ kind: 'model.provenance_mismatch', ownerId: alice, modelId: model.id, pipelineId: model.trainingId }),
      ]),
    );
    expect(report.quarantined).toEqual([]);

    // Read-only: every row and object as before, both models still active, Alice's still served.
    expect(storedState(h.core)).toEqual(before);
    expect(h.core.db.snapshot().models.map((m) => [m.id, m.status]).sort()).toEqual([
      [model.id, 'active'],
      [plantedId, 'active'],
    ].sort());
    expect((await listedModels(h, h.alice)).map((m) => m.id)).toEqual([model.id]);
    expect(h.core.log.events.filter((e) => e.kind === 'model.quarantined')).toEqual([]);
    // Asking again reports the same.
    expect(await audit(h)).toEqual(report);
  });

  it('reports storage drift with its evidence as JSON: keys, sizes, the row concerned, ISO instants', async () => {
    const { h } = await trainedWorld();
    const [first, second] = h.core.db.snapshot().uploads.filter((u) => u.ownerId === bob);
    const ghost = uploadKey(bob, 'ghost' as never);
    h.core.store.setBytes(ghost, new Uint8Array([1, 2, 3]), { lastModified: new Date('2025-12-01T10:00:00.000Z') });
    await h.core.store.delete(uploadKey(bob, first!.id));
    h.core.store.setBytes(uploadKey(bob, second!.id), new Uint8Array(7), { lastModified: new Date('2025-12-01T10:00:00.000Z') });
    const report = await audit(h);
    expect(report.violations).toEqual([
      { kind: 'object.orphan', ownerId: bob, key: ghost, byteSize: 3, lastModified: '2025-12-01T10:00:00.000Z', reason: 'no_upload_row' },
      { kind: 'row.object_missing', ownerId: bob, key: uploadKey(bob, first!.id), row: { type: 'upload', uploadId: first!.id } },
      { kind: 'row.object_size_differs', ownerId: bob, key: uploadKey(bob, second!.id), uploadId: second!.id, recordedBytes: second!.byteSize, storedBytes: 7 },
    ]);
  });
});

describe('POST /v1/admin/audit/quarantine', () => {
  it('requires the admin token, then quarantines exactly the implicated model, deletes nothing, and is idempotent', async () => {
    const world = await trainedWorld();
    const { h, model } = world;
    await plantForeignPhoto(world);
    const run = (headers: Record<string, string>) => h.app.inject({ method: 'POST', url: '/v1/admin/audit/quarantine', headers });
    expectProblem(await run(h.alice), 401, 'auth.invalid_token');
    expect((await listedModels(h, h.alice)).map((m) => m.id)).toEqual([model.id]);
    const before = storedState(h.core);

    const response = await run(adminAuth);
    expect(response.statusCode, response.body).toBe(200);
    const report = json<AuditReportJson>(response);
    expect(kinds(report)).toEqual(['model.foreign_upload', 'model.provenance_mismatch']);
    expect(report.quarantined).toEqual([model.id]);
    expect(report.quarantineFailed).toEqual([]);
    expect(await listedModels(h, h.alice)).toEqual([]);
    // Only the model's status and reason changed: every other row and every object as before.
    const after = storedState(h.core);
    expect(after.objects).toEqual(before.objects);
    expect(after.rows.uploads).toEqual(before.rows.uploads);
    expect(after.rows.models).toMatchObject([{ id: model.id, status: 'quarantined', quarantineReason: 'audit: model.foreign_upload, model.provenance_mismatch' }]);

    const again = json<AuditReportJson>(await run(adminAuth));
    expect(kinds(again)).toEqual(kinds(report));
    expect(again.quarantined).toEqual([]);
  });
});

describe('GET /v1/admin/audit: a source that cannot be read completely', () => {
  it.each(['listTrainings', 'listVersions'] as const)('answers 503 trainer.unavailable when the trainer %s fails, changing nothing', async (op) => {
    const world = await trainedWorld();
    const { h, model } = world;
    await plantForeignPhoto(world);
    const before = storedState(h.core);
    h.core.trainer.faults.failNext(op);
    const response = await getAudit(h);
    expectProblem(response, 503, 'trainer.unavailable');
    expect(response.body).not.toContain('injected');
    expect(response.body).not.toContain('violations');
    expect(storedState(h.core)).toEqual(before);
    expect((await listedModels(h, h.alice)).map((m) => m.id)).toEqual([model.id]);
    // The fault was the only reason: the next audit reads everything and finds the planted photo.
    expect(kinds(await audit(h))).toEqual(['model.foreign_upload', 'model.provenance_mismatch']);
  });

  it('answers 503 storage.unavailable when storage cannot be listed, and 503 persistence.unavailable when the database fails', async () => {
    const { h } = await trainedWorld();
    const before = storedState(h.core);
    h.core.store.faults.failNext('list');
    expectProblem(await getAudit(h), 503, 'storage.unavailable');
    h.core.db.faults.failNext('transaction');
    expectProblem(await getAudit(h), 503, 'persistence.unavailable');
    expect(storedState(h.core)).toEqual(before);
    expect((await audit(h)).violations).toEqual([]);
  });

  it('is refused before anything is read even when a source is down', async () => {
    const { h } = await trainedWorld();
    h.core.trainer.faults.failNext('listTrainings');
    expectProblem(await getAudit(h, h.alice), 401, 'auth.invalid_token');
    // The fault is still pending: the refused request did not reach the trainer.
    expectProblem(await getAudit(h, adminAuth), 503, 'trainer.unavailable');
  });
});
