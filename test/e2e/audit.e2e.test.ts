import { randomUUID } from 'node:crypto';
import { SERVICE, type Env } from '@selfie-lora/adapters/composition';
import {
  auditIntegrity,
  destinationFor,
  destinationRef,
  ownerRef,
  packageKey,
  stagingKey,
  trusted,
  uploadKey,
  type AuditPolicy,
  type AuditReport,
  type AuditViolation,
  type CoreDeps,
  type OwnerId,
  type PipelineId,
  type UploadId,
} from '@selfie-lora/core';
import type pg from 'pg';
import Replicate from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuditArgs, runAuditCommand, type Worker } from '@selfie-lora/http';
import { photo } from '@selfie-lora/testkit/photos';
import { connectSql, outOfBand } from '@selfie-lora/testkit/postgres';
import { Client, sha256, trainerIdOf, type ModelJson, type TrainingJson, type UploadJson } from './support/client.js';
import { waitFor } from './support/poll.js';
import { RawBucket } from './support/raw-bucket.js';
import { MIN_PHOTOS, startE2eService, type E2eService } from './support/service.js';

// The audit against the real adapters: owners train through the real service (HTTP, worker,
// Postgres, s3rver, the Replicate simulator); then each broken state is made OUT OF BAND (raw
// SQL with triggers off, a raw S3 client, the simulator's control and its HTTP API through the
// real `replicate` client), never through the service, and `auditIntegrity` must name it, with
// its owner and evidence. Quarantine must hide what it implicates and delete nothing.

const TRAINER = { owner: 'ostris', name: 'flux-dev-lora-trainer', version: 'e2e0123456789' }; // REPLICATE_TRAINER of support/service.ts

let service: E2eService;
let worker: Worker;
let sql: pg.Client;
let bucket: RawBucket;
let replicate: Replicate;
let policy: AuditPolicy;
let seed = 3000;

const owner = (name: string) => trusted<OwnerId>(name);
const client = (name: string) => new Client(service.url, name);
const nextPhoto = () => photo((seed += 11));

beforeAll(async () => {
  service = await startE2eService();
  worker = service.startWorker({ id: 'audit-e2e' });
  const env = service.container.container.get<Env>(SERVICE.env);
  sql = await connectSql(env.DATABASE_URL!);
  bucket = new RawBucket(env);
  replicate = new Replicate({ auth: 'r8_e2e', baseUrl: service.simulator.baseUrl });
  // graceMs 0: objects and rows made a moment ago are judged too (the default hour would skip them).
  policy = { ...service.container.auditPolicy, graceMs: 0 };
}, 30_000);

afterAll(async () => {
  bucket?.close();
  await sql?.end();
  await service?.close();
}, 30_000);

/** The audit as the container composes it, failing the test if it cannot run. */
async function audit(deps: CoreDeps, quarantine = false): Promise<AuditReport> {
  return auditIntegrity(deps, { policy, quarantine }).match(
    (report) => report,
    (error) => {
      throw new Error(`the audit could not run: ${error.code}: ${error.message} (${error.detail ?? ''})`);
    },
  );
}

/** The container's deps with a clock 20 minutes ahead: the audit as cron would run it later. */
const later = (): CoreDeps => ({ ...service.container.deps, clock: { now: () => new Date(Date.now() + 20 * 60_000) } });

/** One line per violation naming its kind, owner and subject: the report compared as a set. */
function subject(v: AuditViolation): string {
  switch (v.kind) {
    case 'version.unrecorded':
      return `${v.kind} ${v.ownerId} ${v.version}`;
    case 'training.unknown':
      return `${v.kind} ${v.ownerId} ${v.trainerTrainingId}`;
    case 'model.pipeline_not_succeeded':
    case 'model.empty_training_set':
    case 'model.foreign_upload':
    case 'model.provenance_mismatch':
      return `${v.kind} ${v.ownerId} ${v.modelId}`;
    case 'pipeline.manifest_mismatch':
    case 'pipeline.stuck':
      return `${v.kind} ${v.ownerId} ${v.pipelineId}`;
    case 'object.orphan':
    case 'row.object_missing':
    case 'row.object_size_differs':
      return `${v.kind} ${v.ownerId} ${v.key}`;
    case 'row.unreadable':
      return `${v.kind} ${v.ownerId} ${v.table}`;
  }
}
const subjects = (report: AuditReport) => report.violations.map(subject).sort();

// --- the service, used the ordinary way ----------------------------------------------------

interface Trained {
  readonly name: string;
  readonly uploads: UploadJson[];
  readonly training: TrainingJson;
  readonly model: ModelJson;
  readonly trainerId: string;
}

async function uploadPhotos(who: Client, count: number): Promise<UploadJson[]> {
  const uploads: UploadJson[] = [];
  for (let i = 0; i < count; i += 1) {
    const bytes = await nextPhoto();
    const answer = await who.upload(bytes);
    expect(answer.status).toBe(201);
    expect(answer.body.upload.sourceSha256).toBe(sha256(bytes));
    uploads.push(answer.body.upload);
  }
  return uploads;
}

/** Uploads, starts a training and waits until the worker submitted it: the trainer's id. */
async function submittedTraining(who: Client): Promise<{ uploads: UploadJson[]; id: string; trainerId: string }> {
  const uploads = await uploadPhotos(who, MIN_PHOTOS);
  const started = await who.startTraining();
  expect(started.status).toBe(202);
  const id = started.body.training.id;
  const trainerId = await waitFor(`training ${id} submitted`, async () => {
    const training = await who.training(id);
    return training.status === 'training' ? trainerIdOf(training) : undefined;
  });
  return { uploads, id, trainerId };
}

async function trained(name: string): Promise<Trained> {
  const who = client(name);
  const { uploads, id, trainerId } = await submittedTraining(who);
  await service.simulator.control.complete(trainerId);
  const training = await waitFor(`training ${id} succeeded`, async () => {
    const now = await who.training(id);
    if (now.status === 'failed' || now.status === 'canceled') throw new Error(`training ${id} ended ${now.status}`);
    return now.status === 'succeeded' ? now : undefined;
  });
  expect(training.model).not.toBeNull();
  return { name, uploads, training, model: training.model!, trainerId };
}

/** ivan: his first training fails at the trainer, the restart succeeds, then he deletes a photo it
 * used, uploads one more directly to storage (presigned) and opens a slot he never uses. */
async function ivansOrdinaryLife(): Promise<{ model: ModelJson }> {
  const who = client('ivan');
  const first = await submittedTraining(who);
  await service.simulator.control.fail(first.trainerId, 'CUDA out of memory');
  await waitFor('ivan first training failed', async () => ((await who.training(first.id)).status === 'failed' ? true : undefined));
  const restart = await who.request<{ training: TrainingJson }>('POST', `/v1/trainings/${first.id}/restart`);
  expect(restart.status).toBe(202);
  const second = restart.body.training.id;
  const trainerId = await waitFor('ivan restart submitted', async () => {
    const training = await who.training(second);
    return training.status === 'training' ? trainerIdOf(training) : undefined;
  });
  await service.simulator.control.complete(trainerId);
  const model = await waitFor('ivan restart succeeded', async () => (await who.training(second)).model ?? undefined);
  expect(model.trainingSet.map((item) => item.uploadId)).toContain(first.uploads[0]!.id);
  expect((await who.request('DELETE', `/v1/uploads/${first.uploads[0]!.id}`)).status).toBe(200);

  const direct = await nextPhoto();
  const slot = await who.request<{ upload: { id: string; url: string; byteSize: number; maxBytes: number } }>('POST', '/v1/uploads/presigned', {
    json: { byteSize: direct.byteLength },
  });
  expect(slot.status).toBe(201);
  expect(slot.body.upload.byteSize).toBe(direct.byteLength);
  // The length is signed into the URL (real S3 refuses another; s3rver checks no signature).
  expect(new URL(slot.body.upload.url).searchParams.get('X-Amz-SignedHeaders')?.split(';')).toContain('content-length');
  const put = await fetch(slot.body.upload.url, { method: 'PUT', body: direct });
  expect(put.status).toBe(200);
  expect((await who.request('POST', `/v1/uploads/${slot.body.upload.id}/complete`)).status).toBe(201);
  // A photo declared over the limit gets no URL at all; a request without a size, none either.
  const tooLarge = await who.request<{ code: string }>('POST', '/v1/uploads/presigned', { json: { byteSize: slot.body.upload.maxBytes + 1 } });
  expect([tooLarge.status, tooLarge.body.code]).toEqual([413, 'upload.too_large']);
  const undeclared = await who.request<{ code: string }>('POST', '/v1/uploads/presigned');
  expect([undeclared.status, undeclared.body.code]).toEqual([400, 'request.invalid']);
  expect((await who.request('POST', '/v1/uploads/presigned', { json: { byteSize: direct.byteLength } })).status).toBe(201); // never used
  return { model };
}

/** frank: his training reaches the trainer, then he cancels it. */
async function franksCanceledTraining(): Promise<void> {
  const who = client('frank');
  const { id, trainerId } = await submittedTraining(who);
  // A cancel racing the worker's own write may answer 409 (persistence.conflict); asking again is what a client does.
  await waitFor('frank training canceled', async () => {
    const answer = await who.request('POST', `/v1/trainings/${id}/cancel`);
    return answer.status === 200 || (await who.training(id)).status === 'canceled' ? true : undefined;
  });
  await waitFor('frank training canceled at the trainer', () =>
    service.simulator.control.training(trainerId)?.training.status === 'canceled' ? true : undefined,
  );
}

/** Model ids GET /v1/models lists for the owner over HTTP, with the answer's status. */
async function listed(name: string): Promise<{ status: number; ids: string[] }> {
  const answer = await client(name).request<{ models?: ModelJson[] }>('GET', '/v1/models');
  return { status: answer.status, ids: (answer.body.models ?? []).map((model) => model.id).sort() };
}

/** Everything the audit could delete: row counts, object keys, trainer trainings and versions. */
async function inventory(destinations: readonly string[]) {
  const counts = await sql.query<{ uploads: string; pipelines: string; items: string; models: string }>(
    `SELECT (SELECT count(*) FROM uploads) AS uploads, (SELECT count(*) FROM pipelines) AS pipelines,
            (SELECT count(*) FROM pipeline_items) AS items, (SELECT count(*) FROM models) AS models`,
  );
  const versions: Record<string, string[]> = {};
  for (const destination of destinations) {
    const [destinationOwner = '', destinationName = ''] = destination.split('/');
    versions[destination] = (await replicate.models.versions.list(destinationOwner, destinationName)).results.map((v) => v.id).sort();
  }
  return {
    rows: counts.rows[0],
    objects: await bucket.list(),
    trainings: service.simulator.control.trainings().map((record) => `${record.id} ${record.training.status}`).sort(),
    versions,
  };
}

async function modelRows() {
  const rows = await sql.query<{ id: string; owner_id: string; status: string; quarantine_reason: string | null }>(
    'SELECT id, owner_id, status, quarantine_reason FROM models ORDER BY owner_id',
  );
  return rows.rows;
}

// --- the scenario --------------------------------------------------------------------------

// alice, bob, carol, dave: trained; each then gets one database corruption. uma: trained, her
// objects then get the storage corruptions (a control: nothing about her model is wrong). erin:
// training at the trainer, then made stuck. zoe: uploaded one photo and deleted it (zero
// uploads). ivan and frank only use the service the ordinary way, in the ways most likely to
// trip a detector: a failed training and its restart, a photo deleted after training, a direct
// (presigned) upload, a slot never used, a training canceled at the trainer.
//
// `beforeAll` builds it once: the ordinary use (audited while still clean), then every broken
// state, out of band. Each test then audits that one state and judges only its own subjects, so
// any test runs alone (`-t`) or in any order. Only the quarantine test changes anything.

let owners: Record<'alice' | 'bob' | 'carol' | 'dave' | 'uma', Trained>;
let erin: { uploads: UploadJson[]; id: string; trainerId: string };
let ivan: { model: ModelJson };
const nobody = owner('nobody-we-know'); // no row anywhere
const destinationOf = (name: string) => destinationRef(destinationFor(service.container.deps.config.destinationStrategy, owner(name)));

/** What the audit said while the service had only been used the ordinary way. */
let clean: {
  readonly reports: readonly AuditReport[];
  readonly run: { readonly exitCode: number; readonly violations: unknown[] };
  readonly listed: Readonly<Record<string, { status: number; ids: string[] }>>;
};

// The evidence each out-of-band change leaves.
const planted: { zoe?: string; nobody?: string; zoeTraining?: string; nobodyTraining?: string; foreignClient?: string } = {};
const storage: { orphan?: string; missing?: UploadJson; resized?: UploadJson; resizedBytes?: number; staging?: string; erinsZip?: string } = {};
let stuckSince: Date;

/** The owner field of a subject line (`null` for nobody we know). */
const ownerOf = (line: string) => line.split(' ')[1];
/** The report's lines about these owners only (optionally only of these kinds). */
const linesAbout = (report: AuditReport, names: readonly string[], kinds?: readonly string[]) =>
  subjects(report).filter((line) => names.includes(ownerOf(line)!) && (kinds === undefined || kinds.includes(line.split(' ')[0]!)));

const STORAGE_KINDS = ['object.orphan', 'row.object_missing', 'row.object_size_differs'];

const incident = () => [
  `version.unrecorded zoe ${planted.zoe}`,
  `version.unrecorded null ${planted.nobody}`,
  `training.unknown zoe ${planted.zoeTraining}`,
  `training.unknown null ${planted.nobodyTraining}`,
];
const postgresLines = () => {
  const { alice, bob, carol } = owners;
  return [
    `model.pipeline_not_succeeded alice ${alice.model.id}`,
    `version.unrecorded alice ${alice.model.version}`,
    'row.unreadable bob pipelines',
    `model.pipeline_not_succeeded bob ${bob.model.id}`,
    `version.unrecorded bob ${bob.model.version}`,
    `training.unknown bob ${bob.trainerId}`,
    `pipeline.manifest_mismatch carol ${carol.training.id}`,
    `pipeline.stuck erin ${erin.id}`,
  ];
};
const storageLines = () => [
  `object.orphan uma ${storage.orphan}`,
  `row.object_missing uma ${uploadKey(owner('uma'), trusted<UploadId>(storage.missing!.id))}`,
  `row.object_size_differs uma ${uploadKey(owner('uma'), trusted<UploadId>(storage.resized!.id))}`,
  `row.object_missing erin ${storage.erinsZip}`,
];
const davesLines = () => [`model.foreign_upload dave ${owners.dave.model.id}`, `model.provenance_mismatch dave ${owners.dave.model.id}`];

async function useTheServiceTheOrdinaryWay(): Promise<void> {
  const [trainedOwners, ivans, erins] = await Promise.all([
    Promise.all(['alice', 'bob', 'carol', 'dave', 'uma'].map(trained)),
    ivansOrdinaryLife(),
    submittedTraining(client('erin')),
    franksCanceledTraining(),
  ]);
  const [alice, bob, carol, dave, uma] = trainedOwners;
  owners = { alice: alice!, bob: bob!, carol: carol!, dave: dave!, uma: uma! };
  ivan = ivans;
  erin = erins;
  const [deleted] = await uploadPhotos(client('zoe'), 1);
  expect((await client('zoe').request('DELETE', `/v1/uploads/${deleted!.id}`)).status).toBe(200);

  // At rest: webhooks delivered, the ZIP of every ended pipeline cleaned up (erin's stays: she
  // is still training). Then the worker stops, so nothing but these tests changes the state.
  await service.simulator.control.settled();
  const erinsZip = `trainings/${ownerRef(owner('erin'))}/${erin.id}/training.zip`;
  await waitFor('the ZIPs of ended trainings cleaned up', async () =>
    (await bucket.list('trainings/')).map((o) => o.key).join() === erinsZip ? true : undefined,
  );
  await worker.stop();
  expect((await bucket.list('staging/')).map((o) => o.key)).toEqual([]);
}

/** The incident: a version at the destination of an owner with zero uploads, and trainings made behind our back. */
async function plantTheIncident(): Promise<void> {
  planted.zoe = service.simulator.control.plantVersion(destinationOf('zoe'));
  // An owner with no row at all: the audit can only find her destination through a training naming it.
  planted.nobody = service.simulator.control.plantVersion(destinationOf(nobody));
  const outOfBandTraining = (destination: string, webhook: string | undefined) =>
    replicate.trainings.create(TRAINER.owner, TRAINER.name, TRAINER.version, {
      destination: destination as `${string}/${string}`,
      input: { input_images: 'http://127.0.0.1:9/never-packaged-by-us.zip', trigger_word: 'TOK' },
      ...(webhook === undefined ? {} : { webhook, webhook_events_filter: ['completed' as const] }),
    });
  planted.zoeTraining = (await outOfBandTraining(destinationOf('zoe'), policy.webhookUrl!)).id;
  planted.nobodyTraining = (await outOfBandTraining(destinationOf(nobody), policy.webhookUrl!)).id;
  // Another client of the same account, not reporting to us: not ours to judge.
  planted.foreignClient = (await outOfBandTraining(destinationOf('zoe'), undefined)).id;
}

/** Postgres, triggers off: alice's pipeline failed after the fact, bob's unreadable, carol's manifest rewritten, erin's stuck. */
async function corruptPostgres(): Promise<void> {
  const { alice, bob, carol, dave } = owners;
  await outOfBand(sql, async (db) => {
    // alice: her pipeline ends failed after the fact, readably (a failure recorded in state).
    const failure = { step: 'train', code: 'trainer.training_failed', message: 'failed after the fact' };
    await db.query(`UPDATE pipelines SET status = 'failed', state = state || jsonb_build_object('failure', $2::jsonb) WHERE id = $1`, [
      alice.training.id,
      JSON.stringify(failure),
    ]);
    // bob: only the status column changes; a canceled pipeline without its failure does not parse.
    await db.query(`UPDATE pipelines SET status = 'canceled' WHERE id = $1`, [bob.training.id]);
    // carol: the verified manifest now claims another photo (one of dave's) for one of her entries.
    const { rows } = await db.query<{ state: { package: { entries: { name: string; sha256: string }[] } } }>('SELECT state FROM pipelines WHERE id = $1', [
      carol.training.id,
    ]);
    const state = rows[0]!.state;
    const image = state.package.entries.find((entry) => !entry.name.endsWith('.txt'));
    expect(image).toBeDefined();
    image!.sha256 = dave.uploads[0]!.sha256;
    await db.query('UPDATE pipelines SET state = $2::jsonb WHERE id = $1', [carol.training.id, JSON.stringify(state)]);
    // erin: her training has not moved for two days.
    stuckSince = new Date(Date.now() - 2 * 24 * 3_600_000);
    await db.query('UPDATE pipelines SET updated_at = $2 WHERE id = $1', [erin.id, stuckSince]);
  });
}

/** S3, a raw client: an orphan, a missing photo and package, a resized photo, a staging object nobody completes. */
async function corruptStorage(): Promise<void> {
  const uma = owners.uma;
  storage.orphan = `uploads/${ownerRef(owner('uma'))}/${randomUUID()}`;
  await bucket.put(storage.orphan, await nextPhoto());
  storage.missing = uma.uploads[1]!;
  await bucket.delete(uploadKey(owner('uma'), trusted<UploadId>(storage.missing.id)));
  storage.resized = uma.uploads[2]!;
  const bigger = await photo((seed += 11), { width: 320, height: 320 });
  storage.resizedBytes = bigger.byteLength;
  expect(storage.resizedBytes).not.toBe(storage.resized.byteSize);
  await bucket.put(uploadKey(owner('uma'), trusted<UploadId>(storage.resized.id)), bigger);
  storage.staging = stagingKey(owner('uma'), trusted<UploadId>(randomUUID()));
  await bucket.put(storage.staging, await nextPhoto());
  // erin is still training: the package the trainer was given must still be where it was verified.
  storage.erinsZip = packageKey(owner('erin'), trusted<PipelineId>(erin.id));
  await bucket.delete(storage.erinsZip);
}

/** dave's model now names one of uma's photos in its training set. */
async function forgeDavesTrainingSet(): Promise<void> {
  const { dave, uma } = owners;
  const forged = [{ uploadId: uma.uploads[0]!.id, sha256: uma.uploads[0]!.sha256 }, ...dave.model.trainingSet.slice(1)];
  await outOfBand(sql, (db) => db.query('UPDATE models SET training_set = $2::jsonb WHERE id = $1', [dave.model.id, JSON.stringify(forged)]));
}

describe('the audit against the real service, each broken state made out of band', () => {
  beforeAll(async () => {
    await useTheServiceTheOrdinaryWay();
    const reports = [await audit(service.container.deps), await audit(later())];
    const run = await runAuditCommand(service.container.deps, policy, parseAuditArgs(['--json'])._unsafeUnwrap());
    const listedNow: Record<string, { status: number; ids: string[] }> = {};
    for (const name of ['alice', 'bob', 'carol', 'dave', 'uma', 'ivan']) listedNow[name] = await listed(name);
    clean = { reports, run: { exitCode: run.exitCode, violations: (JSON.parse(run.output) as { violations: unknown[] }).violations }, listed: listedNow };

    await plantTheIncident();
    await corruptPostgres();
    await corruptStorage();
    await forgeDavesTrainingSet();
  }, 90_000);

  it('a service used only the ordinary way audits clean: no violations, exit code 0', () => {
    expect(policy.webhookUrl).toBe(`${service.url}/v1/webhooks/replicate`);
    expect(clean.reports).toHaveLength(2); // now, and as cron would run it 20 minutes later
    for (const report of clean.reports) {
      expect(report.violations).toEqual([]);
      expect(report.skipped).toEqual([]);
      expect(report.quarantined).toEqual([]);
      // An empty report over nothing would prove nothing: it looked at everything there is.
      expect(report.scanned).toEqual({
        owners: 9, // alice, bob, carol, dave, uma, erin, zoe, ivan, frank
        uploads: 5 * MIN_PHOTOS + MIN_PHOTOS + 1 + (MIN_PHOTOS + 1) + MIN_PHOTOS, // deleted ones too
        pipelines: 5 + 1 + 2 + 1,
        models: 6,
        objects: 5 * MIN_PHOTOS + MIN_PHOTOS + MIN_PHOTOS + MIN_PHOTOS + 1, // stored photos + erin's ZIP
        trainings: 5 + 1 + 2 + 1,
        destinations: 9,
        versions: 6,
      });
    }
    expect(clean.run).toEqual({ exitCode: 0, violations: [] });
    for (const [name, trainedOwner] of Object.entries(owners)) expect(clean.listed[name]).toEqual({ status: 200, ids: [trainedOwner.model.id] });
    expect(clean.listed['ivan']).toEqual({ status: 200, ids: [ivan.model.id] });
  });

  it('every training the service submitted names its pipeline, read from the signed S3 URL it was given', async () => {
    const trainings = (await service.container.deps.trainer.listTrainings())._unsafeUnwrap();
    const madeBehindOurBack = [planted.zoeTraining, planted.nobodyTraining, planted.foreignClient];
    const ours = trainings.filter((training) => !madeBehindOurBack.includes(training.trainerTrainingId));
    const pipelines = await sql.query<{ id: string }>('SELECT id FROM pipelines');
    // One training per pipeline (ivan's failed one and its restart, frank's canceled one included).
    expect(ours.map((training) => training.pipelineId).sort()).toEqual(pipelines.rows.map((row) => row.id).sort());
    expect(trainings.filter((training) => madeBehindOurBack.includes(training.trainerTrainingId)).map((training) => training.pipelineId)).toEqual([null, null, null]);
  });

  it('the incident: a version at the destination of an owner with zero uploads, and trainings made behind our back', async () => {
    const report = await audit(service.container.deps);
    expect(report.violations).toContainEqual({
      kind: 'version.unrecorded',
      ownerId: 'zoe',
      destination: destinationOf('zoe'),
      version: planted.zoe,
      createdAt: expect.any(Date) as Date,
      trainerTrainingId: null,
      pipelineId: null,
    });
    expect(report.violations).toContainEqual({
      kind: 'version.unrecorded',
      ownerId: null,
      destination: destinationOf(nobody),
      version: planted.nobody,
      createdAt: expect.any(Date) as Date,
      trainerTrainingId: null,
      pipelineId: null,
    });
    expect(report.violations).toContainEqual({
      kind: 'training.unknown',
      ownerId: 'zoe',
      trainerTrainingId: planted.zoeTraining,
      destination: destinationOf('zoe'),
      status: 'starting',
      outputVersion: null,
      createdAt: expect.any(Date) as Date,
    });
    expect(report.violations).toContainEqual(
      expect.objectContaining({ kind: 'training.unknown', ownerId: null, trainerTrainingId: planted.nobodyTraining }),
    );
    expect(subjects(report).filter((line) => line.includes(planted.foreignClient!))).toEqual([]);
    // Everything about zoe and about nobody we know: exactly these.
    expect(linesAbout(report, ['zoe', 'null'])).toEqual(incident().sort());
  }, 20_000);

  it('Postgres out of band: failed, unreadable, rewritten manifest, stuck; an empty training set is refused', async () => {
    const { alice, bob, carol, uma } = owners;
    // model.empty_training_set cannot be made here: CHECK models_training_set_check holds even with
    // triggers off (session_replication_role only silences triggers). Its detector is pinned by the
    // in-memory tests; here the schema's refusal is what is tested.
    await expect(
      outOfBand(sql, (db) => db.query(`UPDATE models SET training_set = '[]'::jsonb WHERE id = $1`, [uma.model.id])),
    ).rejects.toMatchObject({ constraint: 'models_training_set_check' });
    const umaRow = await sql.query<{ n: number }>('SELECT jsonb_array_length(training_set) AS n FROM models WHERE id = $1', [uma.model.id]);
    expect(umaRow.rows[0]!.n).toBe(MIN_PHOTOS);

    const report = await audit(service.container.deps);
    const v = report.violations;
    // alice
    expect(v).toContainEqual({
      kind: 'model.pipeline_not_succeeded',
      ownerId: 'alice',
      modelId: alice.model.id,
      pipelineId: alice.training.id,
      pipelineStatus: 'failed',
    });
    expect(v).toContainEqual({
      kind: 'version.unrecorded',
      ownerId: 'alice',
      destination: destinationOf('alice'),
      version: alice.model.version,
      createdAt: expect.any(Date) as Date,
      trainerTrainingId: alice.trainerId,
      pipelineId: alice.training.id,
    });
    // bob: his pipelines cannot be read back, so his model has no proven pipeline behind it.
    expect(v).toContainEqual({ kind: 'row.unreadable', ownerId: 'bob', table: 'pipelines', detail: expect.stringContaining(bob.training.id) as string });
    expect(v).toContainEqual({
      kind: 'model.pipeline_not_succeeded',
      ownerId: 'bob',
      modelId: bob.model.id,
      pipelineId: bob.training.id,
      pipelineStatus: 'missing',
    });
    // carol
    expect(v).toContainEqual({
      kind: 'pipeline.manifest_mismatch',
      ownerId: 'carol',
      pipelineId: carol.training.id,
      modelId: carol.model.id,
      detail: expect.stringContaining('package.entry_mismatch') as string,
    });
    // erin
    const stuck = v.find((violation) => violation.kind === 'pipeline.stuck');
    expect(stuck).toEqual({
      kind: 'pipeline.stuck',
      ownerId: 'erin',
      pipelineId: erin.id,
      status: 'training',
      updatedAt: stuckSince,
      stuckForMs: expect.any(Number) as number,
    });
    expect(stuck?.kind === 'pipeline.stuck' && stuck.stuckForMs).toBeGreaterThanOrEqual(2 * 24 * 3_600_000);

    // These and their direct consequences (bob's training and version no longer match a pipeline
    // we can read; alice's version no longer has a succeeded pipeline), and nothing else about them.
    expect([...linesAbout(report, ['alice', 'bob', 'carol']), ...linesAbout(report, ['erin'], ['pipeline.stuck'])].sort()).toEqual(postgresLines().sort());
  }, 20_000);

  it('S3 out of band: an orphan, a missing photo and package, a resized photo; abandoned staging only once its slot expired', async () => {
    const now = await audit(service.container.deps);
    expect(now.violations.filter((v) => STORAGE_KINDS.includes(v.kind)).map(subject).sort()).toEqual(storageLines().sort());
    expect(now.violations).toContainEqual({
      kind: 'object.orphan',
      ownerId: 'uma',
      key: storage.orphan,
      byteSize: expect.any(Number) as number,
      lastModified: expect.any(Date) as Date,
      reason: 'no_upload_row',
    });
    expect(now.violations).toContainEqual({
      kind: 'row.object_missing',
      ownerId: 'uma',
      key: uploadKey(owner('uma'), trusted<UploadId>(storage.missing!.id)),
      row: { type: 'upload', uploadId: storage.missing!.id },
    });
    expect(now.violations).toContainEqual({ kind: 'row.object_missing', ownerId: 'erin', key: storage.erinsZip, row: { type: 'package', pipelineId: erin.id } });
    expect(now.violations).toContainEqual({
      kind: 'row.object_size_differs',
      ownerId: 'uma',
      key: uploadKey(owner('uma'), trusted<UploadId>(storage.resized!.id)),
      uploadId: storage.resized!.id,
      recordedBytes: storage.resized!.byteSize,
      storedBytes: storage.resizedBytes,
    });
    // uma's model is intact: nothing but her storage is reported.
    expect(linesAbout(now, ['uma'])).toEqual(storageLines().filter((line) => ownerOf(line) === 'uma').sort());

    // A staging slot lives 15 minutes; 20 minutes later nobody will complete it.
    const afterSlot = await audit(later());
    expect(afterSlot.violations).toContainEqual({
      kind: 'object.orphan',
      ownerId: 'uma',
      key: storage.staging,
      byteSize: expect.any(Number) as number,
      lastModified: expect.any(Date) as Date,
      reason: 'abandoned_staging',
    });
    expect(subjects(afterSlot)).toEqual([...subjects(now), `object.orphan uma ${storage.staging}`].sort());
  }, 20_000);

  it('a model whose training set names another owner\'s photo: reported with the photo and its owner', async () => {
    const { dave, uma } = owners;
    const report = await audit(later());
    expect(report.violations).toContainEqual({
      kind: 'model.foreign_upload',
      ownerId: 'dave',
      modelId: dave.model.id,
      uploads: [{ uploadId: uma.uploads[0]!.id, uploadOwnerId: 'uma' }],
    });
    expect(report.violations).toContainEqual({
      kind: 'model.provenance_mismatch',
      ownerId: 'dave',
      modelId: dave.model.id,
      pipelineId: dave.training.id,
      detail: expect.stringContaining('training set') as string,
    });
    expect(linesAbout(report, ['dave'])).toEqual(davesLines().sort());
  }, 20_000);

  it('the whole report is exactly the evidence of what was broken, nothing about anybody\'s intact rows; --json exits 1', async () => {
    const now = await audit(service.container.deps);
    expect(subjects(now)).toEqual([...incident(), ...postgresLines(), ...storageLines(), ...davesLines()].sort());
    const report = await audit(later());
    expect(subjects(report)).toEqual([...subjects(now), `object.orphan uma ${storage.staging}`].sort());

    // The command line over the same state: every kind made here, as JSON, and exit code 1.
    const run = await runAuditCommand(later(), policy, parseAuditArgs(['--json'])._unsafeUnwrap());
    expect(run.exitCode).toBe(1);
    const json = JSON.parse(run.output) as { violations: { kind: string; ownerId: string | null }[]; quarantined: string[] };
    expect(json.violations.map((v) => `${v.kind} ${v.ownerId}`).sort()).toEqual(report.violations.map((v) => `${v.kind} ${v.ownerId}`).sort());
    expect(json.quarantined).toEqual([]);
    expect(new Set(json.violations.map((v) => v.kind))).toEqual(
      new Set([
        'version.unrecorded',
        'training.unknown',
        'model.pipeline_not_succeeded',
        'model.foreign_upload',
        'model.provenance_mismatch',
        'pipeline.manifest_mismatch',
        'pipeline.stuck',
        'object.orphan',
        'row.object_missing',
        'row.object_size_differs',
        'row.unreadable',
      ]),
    );
  }, 20_000);

  it('quarantine hides exactly the implicated models, deletes nothing, and a second run quarantines nothing new', async () => {
    const { alice, bob, carol, dave, uma } = owners;
    const implicated = [alice, bob, carol, dave].map((o) => o.model.id).sort();
    const destinations = ['alice', 'bob', 'carol', 'dave', 'uma', 'erin', 'zoe', 'ivan', 'frank'].map((name) => destinationOf(name));
    // Before: carol's and dave's corrupted models are still served; alice's is not (GET /v1/models
    // already requires a succeeded pipeline); bob cannot list his models at all (his pipelines do not parse).
    expect(await listed('carol')).toEqual({ status: 200, ids: [carol.model.id] });
    expect(await listed('dave')).toEqual({ status: 200, ids: [dave.model.id] });
    expect(await listed('alice')).toEqual({ status: 200, ids: [] });
    const bobBefore = await listed('bob');
    expect(bobBefore.ids).toEqual([]);
    const before = await inventory(destinations);
    const auditedBefore = subjects(await audit(later()));

    const first = await audit(later(), true);
    expect([...first.quarantined].sort()).toEqual(implicated);
    expect(first.quarantineFailed).toEqual([]);
    expect(subjects(first)).toEqual(auditedBefore);

    const rows = await modelRows();
    expect(rows.map((row) => [row.owner_id, row.status, row.quarantine_reason])).toEqual([
      ['alice', 'quarantined', 'audit: model.pipeline_not_succeeded'],
      ['bob', 'quarantined', 'audit: model.pipeline_not_succeeded'],
      ['carol', 'quarantined', 'audit: pipeline.manifest_mismatch'],
      ['dave', 'quarantined', 'audit: model.foreign_upload, model.provenance_mismatch'],
      ['ivan', 'active', null],
      ['uma', 'active', null],
    ]);
    for (const name of ['alice', 'carol', 'dave']) expect(await listed(name)).toEqual({ status: 200, ids: [] });
    expect(await listed('bob')).toEqual(bobBefore);
    // uma's photos were tampered with in storage, but her model's provenance is intact: still served.
    expect(await listed('uma')).toEqual({ status: 200, ids: [uma.model.id] });

    // Nothing deleted: rows, objects, trainer trainings and every version (the quarantined models' too).
    const after = await inventory(destinations);
    expect(after).toEqual(before);
    for (const o of [alice, bob, carol, dave]) expect(after.versions[destinationOf(o.name)]).toContain(o.model.version.split(':')[1]);

    const second = await audit(later(), true);
    expect(second.quarantined).toEqual([]);
    expect(subjects(second)).toEqual(auditedBefore);
    expect(await modelRows()).toEqual(rows);
  }, 20_000);
});
