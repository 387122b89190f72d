import { describe, expect, it } from 'vitest';
import { AUDIT_VIOLATION_KINDS, implicatedModel, type AuditViolation } from '../src/domain/audit-violation.js';
import {
  destinationsToAudit,
  findViolations,
  type AuditedObject,
  type AuditedTraining,
  type AuditedVersion,
  type AuditPolicy,
  type AuditSnapshot,
} from '../src/domain/audit-findings.js';
import { destinationFor, destinationRef, type DestinationStrategy } from '../src/domain/destination.js';
import type { Model } from '../src/domain/model.js';
import { checkWrittenPackage, packageKey } from '../src/domain/training-package.js';
import {
  failPipeline,
  cleanUpDone,
  trainingSucceeded,
  type SucceededPipeline,
  type TrainingPipeline,
} from '../src/domain/training-pipeline.js';
import { domainError } from '../src/domain/errors.js';
import { stagingKey, UPLOAD_SLOT_TTL_SECONDS, uploadKey, type Upload } from '../src/domain/upload.js';
import { ownerRef } from '../src/domain/owner-ref.js';
import { alice, bob, modelId, ownerId, pipelineId, shaOf, uploadId } from './support/ids.js';
import { ACCOUNT, aPipeline, succeededReport } from './support/pipeline-builder.js';
import { minutesAfterStart } from './support/time.js';
import { anUpload } from './support/upload-builder.js';

// Each detector is attacked by one deliberate corruption of an otherwise clean world; the clean
// world itself must report nothing, so a detector that fires on everything fails too.

const HOUR = 3_600_000;
const now = new Date(minutesAfterStart(0).getTime() + 48 * HOUR);
const longAgo = minutesAfterStart(10);
const policy: AuditPolicy = { stuckAfterMs: 24 * HOUR, graceMs: HOUR, webhookUrl: 'https://svc.example/v1/webhooks/replicate' };
const perOwner: DestinationStrategy = { kind: 'per-owner', account: ACCOUNT };

interface World {
  snapshot: AuditSnapshot;
  succeeded: SucceededPipeline;
  model: Model;
}

/** Alice trained once (cleaned up); Bob has two uploads and nothing else. */
function cleanWorld(): World {
  const builder = aPipeline().ownedBy(alice).withId('p-alice').withPhotos(3);
  const training = builder.training('trn-alice');
  const done = trainingSucceeded(training, succeededReport(training), modelId('m-alice'), minutesAfterStart(6))._unsafeUnwrap();
  const succeeded = cleanUpDone(done.pipeline, minutesAfterStart(7));
  const bobUploads = [anUpload('bob-1').ownedBy(bob).build(), anUpload('bob-2').ownedBy(bob).build()];
  const uploads: Upload[] = [...builder.uploads(), ...bobUploads];
  return {
    succeeded,
    model: done.model,
    snapshot: {
      now,
      strategy: perOwner,
      owners: [alice, bob],
      uploads,
      pipelines: [succeeded],
      models: [done.model],
      objects: uploads.map((upload) => ({ key: uploadKey(upload.ownerId, upload.id), byteSize: upload.byteSize, lastModified: longAgo })),
      trainings: [
        {
          trainerTrainingId: 'trn-alice',
          destination: succeeded.destination,
          webhook: policy.webhookUrl,
          status: 'succeeded',
          outputVersion: succeeded.modelVersion,
          createdAt: longAgo,
          pipelineId: succeeded.id,
        },
      ],
      versions: [{ destination: succeeded.destination, version: succeeded.modelVersion, createdAt: longAgo }],
      unreadable: [],
    },
  };
}

function only(violations: AuditViolation[], kind: AuditViolation['kind']): AuditViolation[] {
  expect(violations.map((v) => v.kind)).toEqual(violations.map(() => kind));
  return violations;
}

function withModel(world: World, change: Partial<Model>): AuditSnapshot {
  return { ...world.snapshot, models: [{ ...world.model, ...change }] };
}

/** The clean world plus one pipeline of Bob's (its photos stored), and what else storage and the trainer list. */
function withBobs(
  world: World,
  pipeline: TrainingPipeline,
  photos: readonly Upload[],
  listed: { trainings?: AuditedTraining[]; versions?: AuditedVersion[]; objects?: AuditedObject[] } = {},
): AuditSnapshot {
  const uploads = [...world.snapshot.uploads, ...photos];
  return {
    ...world.snapshot,
    uploads,
    objects: [...uploads.map((u) => ({ key: uploadKey(u.ownerId, u.id), byteSize: u.byteSize, lastModified: longAgo })), ...(listed.objects ?? [])],
    pipelines: [...world.snapshot.pipelines, pipeline],
    trainings: [...world.snapshot.trainings, ...(listed.trainings ?? [])],
    versions: [...world.snapshot.versions, ...(listed.versions ?? [])],
  };
}

/** A training the trainer lists at Bob's destination, reporting to our webhook, made long ago. */
function listedTraining(fields: Partial<AuditedTraining> & Pick<AuditedTraining, 'trainerTrainingId'>): AuditedTraining {
  return { destination: destinationFor(perOwner, bob), webhook: policy.webhookUrl, status: 'processing', outputVersion: null, createdAt: longAgo, pipelineId: null, ...fields };
}

describe('findViolations', () => {
  it('reports nothing for a consistent world', () => {
    expect(findViolations(cleanWorld().snapshot, policy)).toEqual([]);
  });

  describe('version.unrecorded (the incident)', () => {
    it('finds a version at an owner destination that no pipeline produced, naming the owner', () => {
      const world = cleanWorld();
      const destination = destinationFor(perOwner, bob);
      const version = `${destinationRef(destination)}:${shaOf('made up').slice(0, 32)}`;
      const snapshot = { ...world.snapshot, versions: [...world.snapshot.versions, { destination, version, createdAt: longAgo }] };
      expect(only(findViolations(snapshot, policy), 'version.unrecorded')).toEqual([
        { kind: 'version.unrecorded', ownerId: bob, destination: destinationRef(destination), version, createdAt: longAgo, trainerTrainingId: null, pipelineId: null },
      ]);
    });

    it('names the training and pipeline when our own pipeline submitted it but did not succeed', () => {
      const world = cleanWorld();
      const builder = aPipeline().ownedBy(bob).withId('p-bob');
      const failed = failPipeline(builder.training('trn-bob'), domainError('trainer.destination_mismatch'), minutesAfterStart(8));
      const version = `${destinationRef(failed.destination)}:abc123`;
      const snapshot: AuditSnapshot = {
        ...world.snapshot,
        uploads: [...world.snapshot.uploads, ...builder.uploads()],
        pipelines: [...world.snapshot.pipelines, cleanUpDone(failed, minutesAfterStart(9))],
        trainings: [
          ...world.snapshot.trainings,
          { trainerTrainingId: 'trn-bob', destination: failed.destination, webhook: policy.webhookUrl, status: 'succeeded', outputVersion: version, createdAt: longAgo, pipelineId: failed.id },
        ],
        versions: [...world.snapshot.versions, { destination: failed.destination, version, createdAt: longAgo }],
      };
      const [found] = only(findViolations({ ...snapshot, objects: [...snapshot.objects, ...builder.uploads().map((u) => ({ key: uploadKey(u.ownerId, u.id), byteSize: u.byteSize, lastModified: longAgo }))] }, policy), 'version.unrecorded');
      expect(found).toMatchObject({ ownerId: bob, trainerTrainingId: 'trn-bob', pipelineId: 'p-bob', version });
    });

    it('finds a version at the shared destination and leaves the owner unknown when nothing names one', () => {
      const shared: DestinationStrategy = { kind: 'shared', account: ACCOUNT, model: 'everyone' };
      const world = cleanWorld();
      const destination = { owner: ACCOUNT, name: 'everyone' };
      const snapshot = { ...world.snapshot, strategy: shared, versions: [...world.snapshot.versions, { destination, version: 'acme/everyone:f00', createdAt: null }] };
      expect(only(findViolations(snapshot, policy), 'version.unrecorded')).toMatchObject([{ ownerId: null, version: 'acme/everyone:f00' }]);
    });
  });

  describe('model violations', () => {
    it('model.pipeline_not_succeeded: pipeline missing, another owner\'s, or not succeeded', () => {
      const world = cleanWorld();
      const missing = findViolations({ ...world.snapshot, pipelines: [] }, policy).filter((v) => v.kind === 'model.pipeline_not_succeeded');
      expect(missing).toMatchObject([{ modelId: 'm-alice', pipelineStatus: 'missing' }]);
      const foreign = findViolations({ ...world.snapshot, pipelines: [{ ...world.succeeded, ownerId: bob }] }, policy);
      expect(foreign).toContainEqual(expect.objectContaining({ kind: 'model.pipeline_not_succeeded', pipelineStatus: 'other_owner' }));
      const failed: TrainingPipeline = { ...failPipeline(aPipeline().ownedBy(alice).withId('p-alice').training('trn-alice'), domainError('trainer.training_failed'), longAgo), packageDeletedAt: longAgo };
      expect(findViolations({ ...world.snapshot, pipelines: [failed] }, policy)).toContainEqual(
        expect.objectContaining({ kind: 'model.pipeline_not_succeeded', modelId: 'm-alice', pipelineStatus: 'failed' }),
      );
    });

    it('model.empty_training_set', () => {
      const found = findViolations(withModel(cleanWorld(), { trainingSet: [] }), policy);
      expect(found).toContainEqual({ kind: 'model.empty_training_set', ownerId: alice, modelId: 'm-alice' });
    });

    it('model.foreign_upload: another owner\'s photo, or an upload nobody has', () => {
      const world = cleanWorld();
      const trainingSet = [...world.model.trainingSet.slice(1), { uploadId: uploadId('bob-1'), sha256: world.snapshot.uploads[3]!.sha256 }, { uploadId: uploadId('ghost'), sha256: shaOf('ghost') }];
      const found = findViolations(withModel(world, { trainingSet }), policy).filter((v) => v.kind === 'model.foreign_upload');
      expect(found).toEqual([
        { kind: 'model.foreign_upload', ownerId: alice, modelId: 'm-alice', uploads: [{ uploadId: 'bob-1', uploadOwnerId: bob }, { uploadId: 'ghost', uploadOwnerId: null }] },
      ]);
    });

    it('model.provenance_mismatch: a version the pipeline did not produce', () => {
      const world = cleanWorld();
      const version = `${destinationRef(world.model.destination)}:other`;
      expect(only(findViolations(withModel(world, { version }), policy), 'model.provenance_mismatch')).toMatchObject([
        { modelId: 'm-alice', pipelineId: 'p-alice', detail: expect.stringContaining(version) as string },
      ]);
    });
  });

  describe('model provenance, each difference named', () => {
    const provenance = (snapshot: AuditSnapshot) => findViolations(snapshot, policy).filter((v) => v.kind === 'model.provenance_mismatch');

    it('names every way the model differs from what its pipeline produced, and only those', () => {
      const world = cleanWorld();
      const version = `${destinationRef(world.model.destination)}:other`;
      const elsewhere = destinationFor(perOwner, bob);
      const changes = {
        version: { version },
        model: { id: modelId('m-other') },
        destination: { destination: elsewhere },
        photos: { trainingSet: world.model.trainingSet.slice(1) },
      };
      const details = {
        version: `version ${version}, pipeline produced ${world.succeeded.modelVersion}`,
        model: 'pipeline produced model m-alice',
        destination: `destination ${destinationRef(elsewhere)}, pipeline used ${destinationRef(world.succeeded.destination)}`,
        photos: "training set differs from the pipeline's",
      };
      for (const key of Object.keys(changes) as (keyof typeof changes)[]) {
        expect(provenance(withModel(world, changes[key]))).toMatchObject([{ detail: details[key] }]);
      }
      const all = { ...changes.version, ...changes.model, ...changes.destination, ...changes.photos };
      expect(provenance(withModel(world, all))).toEqual([
        {
          kind: 'model.provenance_mismatch',
          ownerId: alice,
          modelId: 'm-other',
          pipelineId: 'p-alice',
          detail: [details.version, details.model, details.destination, details.photos].join('; '),
        },
      ]);
    });

    it("judges no provenance against another owner's pipeline: that is pipeline_not_succeeded alone", () => {
      const world = cleanWorld();
      const models = findViolations({ ...world.snapshot, pipelines: [{ ...world.succeeded, ownerId: bob }] }, policy).filter((v) => v.kind.startsWith('model.'));
      expect(models).toEqual([{ kind: 'model.pipeline_not_succeeded', ownerId: alice, modelId: 'm-alice', pipelineId: 'p-alice', pipelineStatus: 'other_owner' }]);
    });
  });

  describe('pipeline violations', () => {
    it('pipeline.manifest_mismatch: a verified manifest missing one photo, naming the model to quarantine', () => {
      const world = cleanWorld();
      const tampered = { ...world.succeeded, package: { ...world.succeeded.package, entries: world.succeeded.package.entries.slice(1) } };
      const found = only(findViolations({ ...world.snapshot, pipelines: [tampered] }, policy), 'pipeline.manifest_mismatch');
      expect(found).toMatchObject([{ pipelineId: 'p-alice', modelId: 'm-alice', detail: expect.stringContaining('package.entry_count_mismatch') as string }]);
      expect(implicatedModel(found[0]!)).toBe('m-alice');
    });

    it('pipeline.manifest_mismatch: the detail is the package check\'s code and detail', () => {
      const world = cleanWorld();
      const tampered = { ...world.succeeded, package: { ...world.succeeded.package, entries: world.succeeded.package.entries.slice(1) } };
      const refusal = checkWrittenPackage(tampered.trainingSet, tampered.id, tampered.package)._unsafeUnwrapErr();
      const [found] = only(findViolations({ ...world.snapshot, pipelines: [tampered] }, policy), 'pipeline.manifest_mismatch');
      expect(found).toMatchObject({ detail: `${refusal.code}: ${refusal.detail!}` });
    });

    it('pipeline.manifest_mismatch: judged once the package was recorded verified (submitting, training), not while it is being checked', () => {
      const builder = aPipeline().ownedBy(bob).withId('p-bob');
      const recent = new Date(now.getTime() - 2 * HOUR);
      const tamper = <P extends TrainingPipeline & { package: { entries: readonly unknown[] } }>(p: P): P => ({ ...p, updatedAt: recent, package: { ...p.package, entries: p.package.entries.slice(1) } });
      const judged = (pipeline: TrainingPipeline & { package: { key: string } }) =>
        findViolations(withBobs(cleanWorld(), pipeline, builder.uploads(), { objects: [{ key: pipeline.package.key, byteSize: 1, lastModified: longAgo }], trainings: [listedTraining({ trainerTrainingId: 'trn-bob', pipelineId: pipeline.id })] }), policy)
          .map((v) => v.kind);
      expect(judged(tamper(builder.submitting()))).toEqual(['pipeline.manifest_mismatch']);
      expect(judged(tamper(builder.training('trn-bob')))).toEqual(['pipeline.manifest_mismatch']);
      expect(judged(tamper(builder.verifyingPackage()))).toEqual([]);
    });

    it('pipeline.manifest_mismatch: an entry whose hash is not the photo\'s', () => {
      const world = cleanWorld();
      const [first, ...rest] = world.succeeded.package.entries;
      const tampered = { ...world.succeeded, package: { ...world.succeeded.package, entries: [{ ...first!, sha256: shaOf('stranger') }, ...rest] } };
      expect(only(findViolations({ ...world.snapshot, pipelines: [tampered] }, policy), 'pipeline.manifest_mismatch')).toHaveLength(1);
    });

    it('pipeline.stuck: an active pipeline untouched past the threshold, and not one just under it', () => {
      const world = cleanWorld();
      const builder = aPipeline().ownedBy(bob).withId('p-bob');
      const queued = builder.queued();
      const uploads = [...world.snapshot.uploads, ...builder.uploads()];
      const objects = uploads.map((u) => ({ key: uploadKey(u.ownerId, u.id), byteSize: u.byteSize, lastModified: longAgo }));
      const at = (updatedAt: Date) => findViolations({ ...world.snapshot, uploads, objects, pipelines: [...world.snapshot.pipelines, { ...queued, updatedAt }] }, policy);
      expect(at(new Date(now.getTime() - policy.stuckAfterMs + 1))).toEqual([]);
      expect(only(at(new Date(now.getTime() - policy.stuckAfterMs - 1)), 'pipeline.stuck')).toMatchObject([{ ownerId: bob, pipelineId: 'p-bob', status: 'queued', stuckForMs: policy.stuckAfterMs + 1 }]);
      expect(at(new Date(now.getTime() - policy.stuckAfterMs - 1))[0]).not.toHaveProperty('owes');
    });

    it('pipeline.stuck: an ended pipeline whose clean-up is still owed past the threshold, saying what it owes', () => {
      // The worker retries a clean-up that keeps failing (a trainer that will not cancel) forever;
      // the clean-up is recorded done only once both parts are, so updatedAt stays at the ending.
      const builder = aPipeline().ownedBy(bob).withId('p-bob');
      const ours = failPipeline(builder.training('trn-bob'), domainError('training.retries_exhausted'), minutesAfterStart(8));
      const theirs = failPipeline(builder.training('trn-bob'), domainError('trainer.training_failed'), minutesAfterStart(8));
      const at = (pipeline: TrainingPipeline, updatedAt: Date) => findViolations(withBobs(cleanWorld(), { ...pipeline, updatedAt }, builder.uploads()), policy);
      const past = new Date(now.getTime() - policy.stuckAfterMs - 1);
      expect(only(at(ours, past), 'pipeline.stuck')).toEqual([
        { kind: 'pipeline.stuck', ownerId: bob, pipelineId: 'p-bob', status: 'failed', updatedAt: past, stuckForMs: policy.stuckAfterMs + 1, owes: ['trainer_stop', 'package_delete'] },
      ]);
      // The trainer ended the training itself: only the package is owed.
      expect(only(at(theirs, past), 'pipeline.stuck')).toMatchObject([{ status: 'failed', owes: ['package_delete'] }]);
      expect(at(ours, new Date(now.getTime() - policy.stuckAfterMs + 1))).toEqual([]);
      // Cleaned up: nothing owed, however long ago it ended.
      expect(at(cleanUpDone(ours, past), past)).toEqual([]);
    });
  });

  describe('storage violations', () => {
    const orphan = (world: World, key: string, lastModified = longAgo) =>
      findViolations({ ...world.snapshot, objects: [...world.snapshot.objects, { key, byteSize: 9, lastModified }] }, policy);

    it('object.orphan for every kind of key no row accounts for', () => {
      const world = cleanWorld();
      expect(only(orphan(world, uploadKey(bob, uploadId('never-recorded'))), 'object.orphan')).toMatchObject([{ ownerId: bob, reason: 'no_upload_row' }]);
      expect(only(orphan(world, packageKey(alice, world.succeeded.id)), 'object.orphan')).toMatchObject([{ ownerId: alice, reason: 'package_released' }]);
      expect(only(orphan(world, `trainings/${'0'.repeat(32)}/p-x/training.zip`), 'object.orphan')).toMatchObject([{ ownerId: null, reason: 'no_pipeline' }]);
      expect(only(orphan(world, stagingKey(bob, uploadId('slot'))), 'object.orphan')).toMatchObject([{ reason: 'abandoned_staging' }]);
      expect(only(orphan(world, 'somebody/else.jpg'), 'object.orphan')).toMatchObject([{ ownerId: null, reason: 'unknown_key' }]);
      // Bob's photo filed under Alice's reference is not Bob's upload, nor Alice's.
      expect(only(orphan(world, uploadKey(alice, uploadId('bob-1'))), 'object.orphan')).toMatchObject([{ ownerId: alice, reason: 'no_upload_row' }]);
    });

    it('object.orphan for a deleted upload whose object is still stored', () => {
      const world = cleanWorld();
      const uploads = world.snapshot.uploads.map((u) => (u.id === 'bob-1' ? { ...u, status: 'deleted' as const, deletedAt: longAgo } : u));
      expect(only(findViolations({ ...world.snapshot, uploads }, policy), 'object.orphan')).toMatchObject([{ reason: 'upload_deleted', ownerId: bob }]);
    });

    it('does not judge objects inside the grace period (a write in flight), up to its last millisecond', () => {
      const world = cleanWorld();
      expect(orphan(world, uploadKey(bob, uploadId('in-flight')), new Date(now.getTime() - policy.graceMs + 1))).toEqual([]);
      expect(orphan(world, uploadKey(bob, uploadId('in-flight')), new Date(now.getTime() - policy.graceMs))).toEqual([]);
      expect(only(orphan(world, uploadKey(bob, uploadId('in-flight')), new Date(now.getTime() - policy.graceMs - 1)), 'object.orphan')).toHaveLength(1);
    });

    it('a staging slot is abandoned only once its TTL is over', () => {
      const world = cleanWorld();
      const noGrace = { ...policy, graceMs: 0 };
      const slot = (age: number) =>
        findViolations({ ...world.snapshot, objects: [...world.snapshot.objects, { key: stagingKey(bob, uploadId('slot')), byteSize: 9, lastModified: new Date(now.getTime() - age) }] }, noGrace);
      expect(slot(UPLOAD_SLOT_TTL_SECONDS * 1000)).toEqual([]);
      expect(only(slot(UPLOAD_SLOT_TTL_SECONDS * 1000 + 1), 'object.orphan')).toMatchObject([{ ownerId: bob, reason: 'abandoned_staging' }]);
    });

    it('a key with more parts than its area has is no upload, package or slot: unknown_key', () => {
      const world = cleanWorld();
      const [aliceUpload] = world.snapshot.uploads;
      for (const key of [
        `${uploadKey(alice, aliceUpload!.id)}/extra`,
        `${stagingKey(bob, uploadId('slot'))}/extra`,
        `${packageKey(alice, world.succeeded.id)}/extra`,
        `trainings/${ownerRef(alice)}/${world.succeeded.id}/other.zip`,
      ]) {
        expect(only(orphan(world, key), 'object.orphan')).toMatchObject([{ key, reason: 'unknown_key' }]);
      }
    });

    it("the package of a pipeline still working, or still owing clean-up, is accounted for; another owner's pipeline id is not", () => {
      const builder = aPipeline().ownedBy(bob).withId('p-bob');
      const training = builder.training('trn-bob');
      const accounted = (pipeline: TrainingPipeline, ...keys: string[]) =>
        findViolations(withBobs(cleanWorld(), { ...pipeline, updatedAt: new Date(now.getTime() - 2 * HOUR) }, builder.uploads(), {
          objects: keys.map((key) => ({ key, byteSize: 1, lastModified: longAgo })),
          trainings: [listedTraining({ trainerTrainingId: 'trn-bob', pipelineId: pipeline.id })],
        }), policy);
      expect(accounted(training, training.package.key)).toEqual([]);
      const ended = failPipeline(training, domainError('trainer.training_failed'), minutesAfterStart(8));
      expect(accounted(ended, training.package.key)).toEqual([]);
      expect(only(accounted(cleanUpDone(ended, minutesAfterStart(9)), training.package.key), 'object.orphan')).toMatchObject([{ ownerId: bob, reason: 'package_released' }]);
      // Bob's pipeline id under Alice's reference: no pipeline of Alice's.
      expect(only(accounted(training, training.package.key, packageKey(alice, training.id)), 'object.orphan')).toMatchObject([{ ownerId: alice, reason: 'no_pipeline' }]);
    });

    it('row.object_missing for a stored upload and for a package still needed', () => {
      const world = cleanWorld();
      const objects = world.snapshot.objects.filter((o) => o.key !== uploadKey(bob, uploadId('bob-2')));
      expect(only(findViolations({ ...world.snapshot, objects }, policy), 'row.object_missing')).toEqual([
        { kind: 'row.object_missing', ownerId: bob, key: uploadKey(bob, uploadId('bob-2')), row: { type: 'upload', uploadId: 'bob-2' } },
      ]);
      const builder = aPipeline().ownedBy(bob).withId('p-bob');
      const training = { ...builder.training('trn-bob'), updatedAt: new Date(now.getTime() - 2 * HOUR) };
      const uploads = [...world.snapshot.uploads, ...builder.uploads()];
      const withTraining: AuditSnapshot = {
        ...world.snapshot,
        uploads,
        objects: uploads.map((u) => ({ key: uploadKey(u.ownerId, u.id), byteSize: u.byteSize, lastModified: longAgo })),
        pipelines: [...world.snapshot.pipelines, training],
        trainings: [...world.snapshot.trainings, { trainerTrainingId: 'trn-bob', destination: training.destination, webhook: policy.webhookUrl, status: 'processing', outputVersion: null, createdAt: longAgo, pipelineId: training.id }],
      };
      expect(only(findViolations(withTraining, policy), 'row.object_missing')).toMatchObject([{ row: { type: 'package', pipelineId: 'p-bob' } }]);
    });

    it('row.object_missing is not judged for a row inside the grace, nor for a deleted upload', () => {
      const world = cleanWorld();
      const key = uploadKey(bob, uploadId('bob-2'));
      const objects = world.snapshot.objects.filter((o) => o.key !== key);
      const created = (createdAt: Date) => world.snapshot.uploads.map((u) => (u.id === 'bob-2' ? { ...u, createdAt } : u));
      expect(findViolations({ ...world.snapshot, objects, uploads: created(new Date(now.getTime() - policy.graceMs)) }, policy)).toEqual([]);
      expect(only(findViolations({ ...world.snapshot, objects, uploads: created(new Date(now.getTime() - policy.graceMs - 1)) }, policy), 'row.object_missing')).toHaveLength(1);
      const deleted = world.snapshot.uploads.map((u) => (u.id === 'bob-2' ? { ...u, status: 'deleted' as const, deletedAt: longAgo } : u));
      expect(findViolations({ ...world.snapshot, objects, uploads: deleted }, policy)).toEqual([]);
    });

    it('a package must stay stored from its writing until the training is done, and not before it is written', () => {
      const builder = aPipeline().ownedBy(bob).withId('p-bob');
      const settledAt = new Date(now.getTime() - policy.graceMs - 1);
      const missing = (pipeline: TrainingPipeline) => findViolations(withBobs(cleanWorld(), pipeline, builder.uploads()), policy).filter((v) => v.kind === 'row.object_missing');
      for (const pipeline of [builder.verifyingPackage(), builder.submitting()]) {
        expect(missing({ ...pipeline, updatedAt: settledAt })).toEqual([
          { kind: 'row.object_missing', ownerId: bob, key: pipeline.package.key, row: { type: 'package', pipelineId: 'p-bob' } },
        ]);
        expect(missing({ ...pipeline, updatedAt: new Date(now.getTime() - policy.graceMs) })).toEqual([]);
      }
      expect(missing({ ...builder.packaging(), updatedAt: settledAt })).toEqual([]);
    });

    it('row.object_size_differs when the stored object is not the recorded size', () => {
      const world = cleanWorld();
      const objects = world.snapshot.objects.map((o) => (o.key === uploadKey(bob, uploadId('bob-1')) ? { ...o, byteSize: o.byteSize + 1 } : o));
      expect(only(findViolations({ ...world.snapshot, objects }, policy), 'row.object_size_differs')).toMatchObject([{ uploadId: 'bob-1', ownerId: bob }]);
    });
  });

  describe('training.unknown', () => {
    const stranger = (webhook: string | null) => ({
      trainerTrainingId: 'trn-stranger',
      destination: destinationFor(perOwner, bob),
      webhook,
      status: 'processing',
      outputVersion: null,
      createdAt: longAgo,
      pipelineId: null,
    });

    it('finds a training reporting to our webhook that no pipeline submitted', () => {
      const world = cleanWorld();
      const snapshot = { ...world.snapshot, trainings: [...world.snapshot.trainings, stranger(policy.webhookUrl)] };
      expect(only(findViolations(snapshot, policy), 'training.unknown')).toMatchObject([{ trainerTrainingId: 'trn-stranger', ownerId: bob }]);
    });

    it('ignores trainings reporting elsewhere, and skips the check without a webhook URL', () => {
      const world = cleanWorld();
      expect(findViolations({ ...world.snapshot, trainings: [...world.snapshot.trainings, stranger('https://other.example/hook')] }, policy)).toEqual([]);
      const snapshot = { ...world.snapshot, trainings: [...world.snapshot.trainings, stranger(policy.webhookUrl)] };
      expect(findViolations(snapshot, { ...policy, webhookUrl: null })).toEqual([]);
    });
  });

  describe('trainer findings: our own submissions, results not applied yet, the grace', () => {
    const bobs = () => aPipeline().ownedBy(bob).withId('p-bob');
    /** Bob's submission was accepted but its answer refused: no id recorded; clean-up finds it by the pipeline's id and cancels it. */
    const refused = () => cleanUpDone(failPipeline(bobs().submitting(), domainError('trainer.destination_mismatch'), minutesAfterStart(8)), minutesAfterStart(9));
    const recent = <P extends TrainingPipeline>(pipeline: P): P => ({ ...pipeline, updatedAt: new Date(now.getTime() - 2 * HOUR) });
    const packageOf = (pipeline: TrainingPipeline & { package: { key: string } }): AuditedObject => ({ key: pipeline.package.key, byteSize: 1, lastModified: longAgo });

    it('a training a recorded pipeline submitted without recording its id is ours, whatever its status', () => {
      const failed = refused();
      expect(failed).toMatchObject({ status: 'failed', trainerTrainingId: null });
      for (const status of ['starting', 'processing', 'failed', 'canceled'] as const) {
        const training = listedTraining({ trainerTrainingId: 'trn-lost', status, pipelineId: failed.id });
        expect(findViolations(withBobs(cleanWorld(), failed, bobs().uploads(), { trainings: [training] }), policy)).toEqual([]);
      }
      // Had it written a version anyway, that version is still reported, naming both.
      const version = `${destinationRef(failed.destination)}:abc123`;
      const trainings = [listedTraining({ trainerTrainingId: 'trn-lost', status: 'succeeded', outputVersion: version, pipelineId: failed.id })];
      const versions = [{ destination: failed.destination, version, createdAt: longAgo }];
      expect(only(findViolations(withBobs(cleanWorld(), failed, bobs().uploads(), { trainings, versions }), policy), 'version.unrecorded')).toMatchObject([
        { ownerId: bob, version, trainerTrainingId: 'trn-lost', pipelineId: 'p-bob' },
      ]);
    });

    it('still reports a training to our webhook that names no recorded pipeline, or names one but another destination', () => {
      const failed = refused();
      for (const change of [{ pipelineId: null }, { pipelineId: pipelineId('p-ghost') }, { pipelineId: failed.id, destination: destinationFor(perOwner, alice) }]) {
        const training = listedTraining({ trainerTrainingId: 'trn-x', status: 'canceled', ...change });
        const found = findViolations(withBobs(cleanWorld(), failed, bobs().uploads(), { trainings: [training] }), policy);
        expect(only(found, 'training.unknown')).toMatchObject([{ trainerTrainingId: 'trn-x', status: 'canceled' }]);
      }
    });

    it('a version written by the training of a pipeline still active is pending, not unrecorded: its result is not applied yet', () => {
      const training = recent(bobs().training('trn-bob'));
      const submitting = recent(bobs().submitting());
      const version = `${destinationRef(training.destination)}:abc123`;
      const versions = [{ destination: training.destination, version, createdAt: longAgo }];
      const result = (named: TrainingPipeline | null) =>
        listedTraining({ trainerTrainingId: 'trn-bob', status: 'succeeded', outputVersion: version, pipelineId: named?.id ?? null });
      // By the training id the pipeline recorded; by the pipeline its input names (the id not recorded yet).
      expect(findViolations(withBobs(cleanWorld(), training, bobs().uploads(), { trainings: [result(null)], versions, objects: [packageOf(training)] }), policy)).toEqual([]);
      expect(findViolations(withBobs(cleanWorld(), submitting, bobs().uploads(), { trainings: [result(submitting)], versions, objects: [packageOf(submitting)] }), policy)).toEqual([]);
      // Its pipeline ended without it: the incident.
      const ended = cleanUpDone(failPipeline(training, domainError('training.retries_exhausted'), minutesAfterStart(8)), minutesAfterStart(9));
      expect(only(findViolations(withBobs(cleanWorld(), ended, bobs().uploads(), { trainings: [result(null)], versions }), policy), 'version.unrecorded')).toMatchObject([
        { version, trainerTrainingId: 'trn-bob', pipelineId: 'p-bob' },
      ]);
      // At another destination than its pipeline's, it is no result of that pipeline.
      const elsewhere = destinationFor(perOwner, alice);
      const stray = `${destinationRef(elsewhere)}:abc123`;
      const strayTraining = listedTraining({ trainerTrainingId: 'trn-bob', status: 'succeeded', outputVersion: stray });
      const found = findViolations(
        withBobs(cleanWorld(), training, bobs().uploads(), { trainings: [strayTraining], versions: [{ destination: elsewhere, version: stray, createdAt: longAgo }], objects: [packageOf(training)] }),
        policy,
      );
      expect(only(found, 'version.unrecorded')).toMatchObject([{ version: stray, pipelineId: 'p-bob' }]);
    });

    it('does not judge versions and trainings younger than the grace; of unknown age, or older, they are judged', () => {
      const world = cleanWorld();
      const destination = destinationFor(perOwner, bob);
      const at = (createdAt: Date | null) =>
        findViolations(
          {
            ...world.snapshot,
            versions: [...world.snapshot.versions, { destination, version: `${destinationRef(destination)}:f00`, createdAt }],
            trainings: [...world.snapshot.trainings, listedTraining({ trainerTrainingId: 'trn-new', createdAt })],
          },
          policy,
        )
          .map((v) => v.kind)
          .sort();
      expect(at(new Date(now.getTime() - policy.graceMs + 1))).toEqual([]);
      // Made after the audit began: the rows were read before the trainer was listed.
      expect(at(new Date(now.getTime() + 1000))).toEqual([]);
      expect(at(new Date(now.getTime() - policy.graceMs))).toEqual(['training.unknown', 'version.unrecorded']);
      expect(at(null)).toEqual(['training.unknown', 'version.unrecorded']);
    });
  });

  it('row.unreadable: an owner table that could not be read back is reported as such', () => {
    const world = cleanWorld();
    const unreadable = [{ ownerId: bob, table: 'pipelines' as const, detail: 'stored state of pipeline p-bob is malformed' }];
    expect(only(findViolations({ ...world.snapshot, unreadable }, policy), 'row.unreadable')).toEqual([{ kind: 'row.unreadable', ...unreadable[0]! }]);
  });

  it('every kind has a description', () => {
    expect(Object.keys(AUDIT_VIOLATION_KINDS)).toHaveLength(12);
    expect(Object.values(AUDIT_VIOLATION_KINDS).every((text) => text.length > 10)).toBe(true);
  });
});

describe('destinationsToAudit', () => {
  it('covers known owners, recorded pipelines and our account\'s destinations the trainer names, each once', () => {
    const stranger = ownerId('stranger-with-no-rows');
    const strangerDestination = destinationFor(perOwner, stranger);
    const pipeline = aPipeline().ownedBy(alice).queued();
    const found = destinationsToAudit(perOwner, [alice, bob], [pipeline], [
      { trainerTrainingId: 't1', destination: null, webhook: null, status: 'succeeded', outputVersion: `${destinationRef(strangerDestination)}:abc`, createdAt: null, pipelineId: null },
      { trainerTrainingId: 't2', destination: { owner: 'not-us', name: 'x' }, webhook: null, status: 'succeeded', outputVersion: null, createdAt: null, pipelineId: null },
    ]);
    expect(found.map(destinationRef).sort()).toEqual(
      [destinationFor(perOwner, alice), destinationFor(perOwner, bob), strangerDestination].map(destinationRef).sort(),
    );
  });

  it('includes the shared destination even with no owners', () => {
    expect(destinationsToAudit({ kind: 'shared', account: ACCOUNT, model: 'everyone' }, [], [], [])).toEqual([{ owner: ACCOUNT, name: 'everyone' }]);
  });
});
