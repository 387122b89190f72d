import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import {
  cleanupRetryLater,
  domainError,
  isUnfinished,
  markDeleted,
  photoCheck,
  checkDeferred,
  defaultRetryPolicy,
  receivePhoto,
  storedUsage,
  refusePhoto,
  OwnerId,
  type PendingUpload,
  quarantine,
  retryLater,
  scrubbedForErasure,
  type DomainError,
  type Model,
  type PersistenceError,
  type Repositories,
  type TrainingPipeline,
  type UnitOfWork,
  type Upload,
} from '@selfie-lora/core';
import { Seed, verdicts } from '../postgres/support/seed.js';
import {
  anOwner,
  anUpload,
  shaOf,
  aDeliveryId,
  aModelId,
  aPipelineId,
  aTrainingId,
  at,
  canceled,
  cleanedUp,
  failed,
  forgedSet,
  packaging,
  photosOf,
  queued,
  setOf,
  submitting,
  succeeded,
  training,
  verifying,
  verifyingPackage,
} from './repositories.fixtures.js';

export interface RepositoryHarness {
  readonly uow: UnitOfWork;
  /**
   * Deletes every row of one owner from one table (a pipeline with its training-set items),
   * bypassing every integrity rule, to leave rows the schema never lets exist.
   */
  eraseOutOfBand(table: 'uploads' | 'pipelines', ownerId: OwnerId): Promise<void>;
  close(): Promise<void>;
}

type Work<T> = (repositories: Repositories) => ResultAsync<T, PersistenceError | DomainError>;

/** Steps shared by the tests, over whichever database `uow` answers at call time. */
function helpersOver(uow: () => UnitOfWork) {
  const run = <T>(work: Work<T>) => uow().transaction(work);
  const value = async <T>(work: Work<T>): Promise<T> =>
    (await run(work)).match(
      (ok) => ok,
      (error) => {
        throw new Error(`expected Ok, got ${error.code}: ${error.detail ?? error.message}`);
      },
    );
  const refusal = async <T>(work: Work<T>): Promise<string> => (await run(work))._unsafeUnwrapErr().code;

  const storeUploads = (uploads: readonly Upload[]) =>
    value((r) => uploads.reduce<ResultAsync<unknown, PersistenceError>>((chain, u) => chain.andThen(() => r.uploads.insert(u)), okAsync(null)));

  /** Saves the next stage, checking the store returns exactly it, one revision on, and reads it back so. */
  async function save<P extends TrainingPipeline>(next: P): Promise<P> {
    const saved = await value((r) => r.pipelines.update(next));
    expect(saved).toEqual({ ...next, revision: next.revision + 1 });
    expect(await value((r) => r.pipelines.getById(next.id))).toEqual(saved);
    return saved;
  }

  async function insertQueued(owner: OwnerId, fields: Parameters<typeof queued>[1] = {}) {
    const uploads = photosOf(owner);
    await storeUploads(uploads);
    const written = queued(setOf(owner, uploads), fields);
    const p = await value((r) => r.pipelines.insert(written));
    expect(p).toEqual(written);
    return { uploads, p: p as typeof written };
  }

  async function inTraining(owner: OwnerId, trainerTrainingId = aTrainingId(), createdAt?: Date) {
    const { uploads, p } = await insertQueued(owner, createdAt === undefined ? {} : { createdAt });
    const v = await save(verifying(p));
    const pk = await save(packaging(v, uploads));
    const vp = await save(verifyingPackage(pk));
    const s = await save(submitting(vp));
    return { uploads, p: await save(training(s, trainerTrainingId)) };
  }

  async function withModel(owner: OwnerId) {
    const { uploads, p } = await inTraining(owner);
    const done = succeeded(p);
    const stored = await value((r) => r.pipelines.update(done.pipeline).andThen((pipeline) => r.models.insert(done.model).map((model) => ({ pipeline, model }))));
    return { uploads, pipeline: stored.pipeline, model: stored.model, expected: done.model };
  }

  return { run, value, refusal, storeUploads, save, insertQueued, inTraining, withModel };
}

/**
 * What every UnitOfWork/Repositories implementation must do, whatever stores the rows. Run with
 * the in-memory fake and with Postgres, so the fake cannot drift from the real schema.
 */
export function describeRepositoryContract(name: string, open: () => Promise<RepositoryHarness>): void {
  describe(`repositories contract: ${name}`, () => {
    let harness: RepositoryHarness;
    beforeAll(async () => {
      harness = await open();
    });
    afterAll(async () => {
      await harness.close();
    });

    const { run, value, refusal, storeUploads, save, insertQueued, inTraining, withModel } = helpersOver(() => harness.uow);

    describe('uploads', () => {
      it("sums the owner's stored uploads as the quota rule does, deleted ones and other owners' left out", async () => {
        const [owner, other] = [anOwner(), anOwner()];
        const kept = [anUpload(owner), anUpload(owner)];
        const gone = anUpload(owner);
        await storeUploads([...kept, gone, anUpload(other)]);
        await value((r) => r.uploads.update(markDeleted(gone, at(1))));
        const usage = await value((r) => r.uploads.storedUsage(owner));
        expect(usage).toEqual(storedUsage(await value((r) => r.uploads.listByOwner(owner, { includeDeleted: true }))));
        expect(usage).toEqual({ photos: 2, bytes: kept[0]!.byteSize + kept[1]!.byteSize });
        expect(await value((r) => r.uploads.storedUsage(anOwner()))).toEqual({ photos: 0, bytes: 0 });
      });

      it('reads an upload back exactly as written, and only for its owner', async () => {
        const [owner, other] = [anOwner(), anOwner()];
        const upload = anUpload(owner, { contentType: 'image/webp' });
        expect(await value((r) => r.uploads.insert(upload))).toEqual(upload);
        expect(await value((r) => r.uploads.get(owner, upload.id))).toEqual(upload);
        expect(await value((r) => r.uploads.get(other, upload.id))).toBeNull();
        expect(await value((r) => r.uploads.findStoredBySha256(owner, upload.sha256))).toEqual(upload);
        expect(await value((r) => r.uploads.findStoredBySha256(other, upload.sha256))).toBeNull();
      });

      it('reads an upload by id alone, for the audit, whoever owns it, deleted or not', async () => {
        const upload = anUpload(anOwner());
        const other = anUpload(anOwner());
        await value((r) => r.uploads.insert(upload));
        await value((r) => r.uploads.insert(other));
        expect(await value((r) => r.uploads.getById(upload.id))).toEqual(upload);
        expect(await value((r) => r.uploads.getById(other.id))).toEqual(other);
        expect(await value((r) => r.uploads.getById(anUpload(anOwner()).id))).toBeNull();
        const deleted = await value((r) => r.uploads.update(markDeleted(upload, at(9))));
        expect(await value((r) => r.uploads.getById(upload.id))).toEqual(deleted);
      });

      it('keeps the hash of the bytes sent, the checks and the face embedding; finds an upload by the bytes sent; erases the embedding on delete', async () => {
        const [owner, other] = [anOwner(), anOwner()];
        const upload: Upload = {
          ...anUpload(owner),
          sourceSha256: shaOf('bytes as the client sent them'),
          checks: [photoCheck('face_found', 'passed'), photoCheck('sharpness', 'warning')],
          faceEmbedding: [0.5, -0.25, 0.125],
        };
        expect(await value((r) => r.uploads.insert(upload))).toEqual(upload);
        expect(await value((r) => r.uploads.get(owner, upload.id))).toEqual(upload);
        expect(await value((r) => r.uploads.findStoredBySourceSha256(owner, upload.sourceSha256))).toEqual(upload);
        expect(await value((r) => r.uploads.findStoredBySourceSha256(other, upload.sourceSha256))).toBeNull();
        expect(await value((r) => r.uploads.findStoredBySourceSha256(owner, upload.sha256))).toBeNull();
        // Other stored bytes made from the same bytes sent: the same photo, refused.
        expect(await refusal((r) => r.uploads.insert({ ...anUpload(owner), sourceSha256: upload.sourceSha256 }))).toBe('persistence.conflict');
        const deleted = await value((r) => r.uploads.update(markDeleted(upload, at(1))));
        expect(deleted.faceEmbedding).toBeNull();
        expect(await value((r) => r.uploads.findStoredBySourceSha256(owner, upload.sourceSha256))).toBeNull();
      });

      it('lists the owner uploads oldest first (ties by id), deleted ones only on request', async () => {
        const owner = anOwner();
        const [late, early, tieA, tieB] = [at(30), at(10), at(20), at(20)].map((createdAt) => anUpload(owner, { createdAt })) as [
          Upload,
          Upload,
          Upload,
          Upload,
        ];
        await storeUploads([late, early, tieB, tieA, anUpload(anOwner())]);
        const deleted = await value((r) => r.uploads.update(markDeleted(late, at(40))));
        const ties = [tieA, tieB].sort((a, b) => (a.id < b.id ? -1 : 1));
        expect(await value((r) => r.uploads.listByOwner(owner))).toEqual([early, ...ties]);
        expect(await value((r) => r.uploads.listByOwner(owner, { includeDeleted: true }))).toEqual([early, ...ties, deleted]);
        expect(await value((r) => r.uploads.listStoredForTraining(owner))).toEqual([early, ...ties]);
        expect(await value((r) => r.uploads.findStoredBySha256(owner, late.sha256))).toBeNull();
      });

      it('lists for retention the stored photos of trainings that succeeded by the cutoff, not those in an active training or deleted', async () => {
        const [trained, retrained, untrained] = [anOwner(), anOwner(), anOwner()];
        const mine = (uploads: readonly Upload[], owner: OwnerId) => uploads.filter((u) => u.ownerId === owner);
        const past = (succeededBy: Date) => value((r) => r.uploads.listPastRetention({ succeededBy, limit: 100_000 }));
        const { uploads } = await withModel(trained);
        const deleted = await value((r) => r.uploads.update(markDeleted(uploads[0]!, at(6))));
        // Models are made at(6): not yet past a cutoff before that, past one at or after it.
        expect(mine(await past(at(5)), trained)).toEqual([]);
        expect(mine(await past(at(6)), trained)).toEqual(uploads.slice(1));
        expect((await past(at(6))).map((u) => u.id)).not.toContain(deleted.id);
        // A photo also in an active training waits for that training to end.
        const again = await withModel(retrained);
        const written = queued(setOf(retrained, again.uploads.slice(0, 1)));
        const active = (await value((r) => r.pipelines.insert(written))) as typeof written;
        expect(mine(await past(at(7)), retrained)).toEqual(again.uploads.slice(1));
        await save(canceled(active));
        expect(mine(await past(at(7)), retrained)).toEqual(again.uploads);
        // Photos of a training that never succeeded are never past retention.
        await inTraining(untrained);
        expect(mine(await past(at(1_000_000)), untrained)).toEqual([]);
        expect(await value((r) => r.uploads.listPastRetention({ succeededBy: at(7), limit: 1 }))).toHaveLength(1);
      });

      it('refuses a second upload with the same id, or a second stored copy of the same bytes for one owner', async () => {
        const [owner, other] = [anOwner(), anOwner()];
        const upload = anUpload(owner);
        await storeUploads([upload]);
        expect(await refusal((r) => r.uploads.insert(upload))).toBe('persistence.conflict');
        expect(await refusal((r) => r.uploads.insert(anUpload(owner, { sha256: upload.sha256 })))).toBe('persistence.conflict');
        // Another owner may hold the same bytes; so may the owner again once the first copy is deleted.
        await storeUploads([anUpload(other, { sha256: upload.sha256 })]);
        await value((r) => r.uploads.update(markDeleted(upload, at(1))));
        await storeUploads([anUpload(owner, { sha256: upload.sha256 })]);
      });

      it('updates only the revision that was read, and refuses a stale or unknown one', async () => {
        const owner = anOwner();
        const upload = anUpload(owner);
        await storeUploads([upload]);
        const deleted = await value((r) => r.uploads.update(markDeleted(upload, at(5))));
        expect(deleted).toEqual({ ...upload, status: 'deleted', deletedAt: at(5), revision: 1 });
        expect(await value((r) => r.uploads.get(owner, upload.id))).toEqual(deleted);
        expect(await refusal((r) => r.uploads.update(markDeleted(upload, at(6))))).toBe('persistence.conflict');
        expect(await refusal((r) => r.uploads.update(anUpload(owner)))).toBe('persistence.conflict');
        expect(await value((r) => r.uploads.get(owner, upload.id))).toEqual(deleted);
      });

      it('refuses to change the owner or the content of an upload, or to undelete it', async () => {
        const owner = anOwner();
        const upload = anUpload(owner);
        await storeUploads([upload]);
        expect(await refusal((r) => r.uploads.update({ ...upload, ownerId: anOwner() }))).toBe('persistence.constraint');
        expect(await refusal((r) => r.uploads.update({ ...upload, sha256: anUpload(owner).sha256 }))).toBe('persistence.constraint');
        const deleted = await value((r) => r.uploads.update(markDeleted(upload, at(5))));
        expect(await refusal((r) => r.uploads.update({ ...deleted, status: 'stored', deletedAt: null }))).toBe('persistence.constraint');
      });
    });

    describe('pipelines', () => {
      it('reads back every stage of the life cycle exactly as written', async () => {
        const owner = anOwner();
        const { p } = await insertQueued(owner, { idempotencyKey: 'key-1' });
        expect(await value((r) => r.pipelines.get(owner, p.id))).toEqual(p);
        // `save` checks each stage: returned one revision on, and read back equal.
        const { p: inTrainingStage } = await inTraining(anOwner());
        const retried = await save(retryLater(inTrainingStage, { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 10_000 }, at(5.5)));
        expect(retried.retry).toEqual({ attempt: 1, notBefore: new Date(at(5.5).getTime() + 1_000) });
        expect(retried.status).toBe('training');
        const done = succeeded(retried as typeof inTrainingStage);
        const stored = await value((r) => r.pipelines.update(done.pipeline));
        expect(stored).toEqual({ ...done.pipeline, revision: done.pipeline.revision + 1 });
        await save(cleanedUp(stored));
      });

      it('reads back ended pipelines with whatever they had reached', async () => {
        const { p, uploads } = await insertQueued(anOwner());
        const inPackaging = await save(packaging(await save(verifying(p)), uploads));
        const ended = await save(failed(inPackaging));
        expect(ended).toMatchObject({ status: 'failed', package: null, trainerTrainingId: null, packageDeletedAt: null });
        // A failed clean-up's backoff is written on the ended row (same status, next revision).
        const backedOff = await save(cleanupRetryLater(ended, { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 10_000 }, at(7.5)));
        expect(backedOff).toMatchObject({ status: 'failed', retry: { attempt: 1, notBefore: new Date(at(7.5).getTime() + 1_000) } });
        expect((await save(cleanedUp(backedOff))).retry).toEqual({ attempt: 0, notBefore: null });

        const { p: early } = await insertQueued(anOwner());
        expect((await save(canceled(early))).failure.code).toBe('training.canceled_by_owner');

        const { p: late } = await inTraining(anOwner());
        expect(await save(failed(late))).toMatchObject({ trainerTrainingId: late.trainerTrainingId, package: late.package });
      });

      it('scopes reads to the owner', async () => {
        const [owner, other] = [anOwner(), anOwner()];
        const { p } = await insertQueued(owner, { idempotencyKey: 'same-key', createdAt: at(1) });
        const ended = await save(canceled(p));
        const { p: newer } = await insertQueued(owner, { createdAt: at(2) });
        expect(await value((r) => r.pipelines.get(other, p.id))).toBeNull();
        expect(await value((r) => r.pipelines.findActive(owner))).toEqual(newer);
        expect(await value((r) => r.pipelines.findActive(other))).toBeNull();
        expect(await value((r) => r.pipelines.findByIdempotencyKey(owner, 'same-key'))).toEqual(ended);
        expect(await value((r) => r.pipelines.findByIdempotencyKey(other, 'same-key'))).toBeNull();
        expect(await value((r) => r.pipelines.listByOwner(owner))).toEqual([newer, ended]);
        expect(await value((r) => r.pipelines.listByOwner(other))).toEqual([]);
      });

      it('finds a pipeline by the training id the trainer gave it', async () => {
        const trainerTrainingId = aTrainingId();
        const { p } = await inTraining(anOwner(), trainerTrainingId);
        expect(await value((r) => r.pipelines.findByTrainerTrainingId(trainerTrainingId))).toEqual(p);
        const ended = await save(canceled(p));
        expect(await value((r) => r.pipelines.findByTrainerTrainingId(trainerTrainingId))).toEqual(ended);
        expect(await value((r) => r.pipelines.findByTrainerTrainingId(aTrainingId()))).toBeNull();
      });

      it('refuses a training set holding another owner photo or an unknown one (I1), storing nothing', async () => {
        const [owner, other] = [anOwner(), anOwner()];
        const mine = photosOf(owner, 2);
        const theirs = photosOf(other, 1);
        await storeUploads([...mine, ...theirs]);
        const foreign = queued(forgedSet(owner, [...mine, ...theirs]));
        expect(await refusal((r) => r.pipelines.insert(foreign))).toBe('persistence.constraint');
        expect(await value((r) => r.pipelines.getById(foreign.id))).toBeNull();
        // A set claiming to be the other owner's, on this owner's pipeline.
        const stolen = { ...queued(forgedSet(other, theirs)), ownerId: owner };
        expect(await refusal((r) => r.pipelines.insert(stolen))).toBe('persistence.constraint');
        const unknown = queued(forgedSet(owner, [...mine, anUpload(owner)]));
        expect(await refusal((r) => r.pipelines.insert(unknown))).toBe('persistence.constraint');
        expect(await value((r) => r.pipelines.findActive(owner))).toBeNull();
      });

      it('refuses a second active pipeline for one owner (I8), not for another owner or after the first ended', async () => {
        const owner = anOwner();
        const { p, uploads } = await insertQueued(owner);
        expect(await refusal((r) => r.pipelines.insert(queued(setOf(owner, uploads))))).toBe('persistence.conflict');
        await insertQueued(anOwner());
        await save(failed(p));
        await value((r) => r.pipelines.insert(queued(setOf(owner, uploads))));
      });

      it('refuses a reused idempotency key or trainer training id', async () => {
        const owner = anOwner();
        const { p, uploads } = await insertQueued(owner, { idempotencyKey: 'k' });
        await save(canceled(p));
        expect(await refusal((r) => r.pipelines.insert(queued(setOf(owner, uploads), { idempotencyKey: 'k' })))).toBe('persistence.conflict');
        const trainerTrainingId = aTrainingId();
        await inTraining(anOwner(), trainerTrainingId);
        const { uploads: others, p: other } = await insertQueued(anOwner());
        const ready = await save(submitting(await save(verifyingPackage(await save(packaging(await save(verifying(other)), others))))));
        expect(await refusal((r) => r.pipelines.update(training(ready, trainerTrainingId)))).toBe('persistence.conflict');
      });

      it('refuses a restart of another owner pipeline', async () => {
        const { p: theirs } = await insertQueued(anOwner());
        const owner = anOwner();
        const uploads = photosOf(owner);
        await storeUploads(uploads);
        expect(await refusal((r) => r.pipelines.insert(queued(setOf(owner, uploads), { restartOf: theirs.id })))).toBe('persistence.constraint');
      });

      it('moves a status only along the allowed edges (I7)', async () => {
        const { p, uploads } = await insertQueued(anOwner());
        const v = verifying(p);
        // Skipping verifying_uploads: the packaging stage written straight over the queued row.
        const skipped = { ...packaging(v, uploads), revision: p.revision };
        expect(await refusal((r) => r.pipelines.update(skipped))).toBe('persistence.constraint');
        expect(await value((r) => r.pipelines.getById(p.id))).toEqual(p);
        const ended = await save(failed(p));
        expect(await refusal((r) => r.pipelines.update({ ...p, revision: ended.revision }))).toBe('persistence.constraint');
        expect(await refusal((r) => r.pipelines.update({ ...ended, status: 'canceled' }))).toBe('persistence.constraint');
        expect(await value((r) => r.pipelines.getById(p.id))).toEqual(ended);
      });

      it('refuses to point a pipeline at another training once it names one (I5)', async () => {
        const { p } = await inTraining(anOwner());
        expect(await refusal((r) => r.pipelines.update({ ...p, trainerTrainingId: aTrainingId() }))).toBe('persistence.constraint');
        const ended = failed(p);
        expect(await refusal((r) => r.pipelines.update({ ...ended, trainerTrainingId: null }))).toBe('persistence.constraint');
        expect(await value((r) => r.pipelines.getById(p.id))).toEqual(p);
        expect(await save(ended)).toMatchObject({ status: 'failed', trainerTrainingId: p.trainerTrainingId });
      });

      it('refuses to change the owner, training set or destination of a pipeline', async () => {
        const owner = anOwner();
        const { p, uploads } = await insertQueued(owner);
        const extra = anUpload(owner);
        await storeUploads([extra]);
        expect(await refusal((r) => r.pipelines.update({ ...p, ownerId: anOwner() }))).toBe('persistence.constraint');
        expect(await refusal((r) => r.pipelines.update({ ...p, trainingSet: setOf(owner, [...uploads, extra]) }))).toBe('persistence.constraint');
        expect(await refusal((r) => r.pipelines.update({ ...p, trainingSet: setOf(owner, [extra, ...uploads.slice(1)]) }))).toBe(
          'persistence.constraint',
        );
        expect(await refusal((r) => r.pipelines.update({ ...p, destination: { owner: 'acme', name: 'someone-else' } }))).toBe(
          'persistence.constraint',
        );
        expect(await value((r) => r.pipelines.getById(p.id))).toEqual(p);
      });

      it("keeps the owner's trigger word and idempotency key, but lets an erasure scrub both at once", async () => {
        const { p } = await insertQueued(anOwner(), { idempotencyKey: 'key-1' });
        expect(await refusal((r) => r.pipelines.update({ ...p, triggerWord: 'OTHER' }))).toBe('persistence.constraint');
        expect(await refusal((r) => r.pipelines.update({ ...p, idempotencyKey: 'key-2' }))).toBe('persistence.constraint');
        expect(await refusal((r) => r.pipelines.update({ ...p, triggerWord: '' }))).toBe('persistence.constraint');
        expect(await refusal((r) => r.pipelines.update({ ...p, idempotencyKey: null }))).toBe('persistence.constraint');
        const scrubbed = await save(scrubbedForErasure(canceled(p)));
        expect(scrubbed).toMatchObject({ status: 'canceled', triggerWord: '', idempotencyKey: null });
        expect(await refusal((r) => r.pipelines.update({ ...scrubbed, triggerWord: 'TOK' }))).toBe('persistence.constraint');
        expect(await save(cleanedUp(scrubbed))).toMatchObject({ triggerWord: '', idempotencyKey: null });
      });

      it('refuses a stale revision, so a lost update is an error (I7)', async () => {
        const { p } = await insertQueued(anOwner());
        const first = await save(verifying(p));
        expect(await refusal((r) => r.pipelines.update(canceled(p)))).toBe('persistence.conflict');
        expect(await refusal((r) => r.pipelines.update({ ...first, id: aPipelineId() }))).toBe('persistence.conflict');
        expect(await value((r) => r.pipelines.getById(p.id))).toEqual(first);
      });

      it('lists exactly the pipelines the core calls unfinished (isUnfinished), in every lifecycle state', async () => {
        const all = await new Seed(harness.uow).everyLifecycleState();
        const listed = new Set(await value((r) => r.pipelines.listUnfinished()));
        expect(verdicts(all, (p) => listed.has(p.id))).toEqual(verdicts(all, isUnfinished));
        expect(all.filter(isUnfinished).length).toBeGreaterThan(0);
        expect(all.filter((p) => !isUnfinished(p)).length).toBeGreaterThan(0);
      });

      it('lists the pipelines waiting for the trainer: exactly those in training, in every lifecycle state, with their training', async () => {
        const all = await new Seed(harness.uow).everyLifecycleState();
        const awaited = new Map((await value((r) => r.pipelines.listAwaitingTrainer(1_000_000))).map((a) => [a.pipelineId, a]));
        expect(verdicts(all, (p) => awaited.has(p.id))).toEqual(verdicts(all, (p) => p.status === 'training'));
        const waiting = all.filter((p) => p.status === 'training');
        expect(waiting.length).toBeGreaterThan(0);
        for (const p of waiting) {
          expect(awaited.get(p.id)).toEqual({ pipelineId: p.id, trainerTrainingId: p.trainerTrainingId, pipelineCreatedAt: p.createdAt });
        }
      });

      it('lists the pipelines waiting for the trainer newest first, no more than asked', async () => {
        // Newer than every other fixture's pipeline (they start at at(0)), so first in a shared database.
        const [oldest, middle, newest] = [
          await inTraining(anOwner(), aTrainingId(), at(0.2)),
          await inTraining(anOwner(), aTrainingId(), at(0.4)),
          await inTraining(anOwner(), aTrainingId(), at(0.6)),
        ].map((t) => t.p);
        const two = await value((r) => r.pipelines.listAwaitingTrainer(2));
        expect(two.map((a) => a.pipelineId)).toEqual([newest!.id, middle!.id]);
        await save(failed(newest!));
        const again = await value((r) => r.pipelines.listAwaitingTrainer(2));
        expect(again.map((a) => a.pipelineId)).toEqual([middle!.id, oldest!.id]);
      });

      it('lists unfinished pipelines: active ones, and ended ones whose package is not yet deleted', async () => {
        const { p: active } = await insertQueued(anOwner());
        const { p: early } = await insertQueued(anOwner());
        const endedEarly = await save(canceled(early)); // never began packaging: nothing to clean up
        const { p: late } = await inTraining(anOwner());
        const endedLate = await save(failed(late));
        const { pipeline: done } = await withModel(anOwner());
        const unfinished = await value((r) => r.pipelines.listUnfinished());
        expect(unfinished).toEqual(expect.arrayContaining([active.id, endedLate.id, done.id]));
        expect(unfinished).not.toContain(endedEarly.id);
        await save(cleanedUp(endedLate));
        await save(cleanedUp(done as Parameters<typeof cleanedUp>[0]));
        const after = await value((r) => r.pipelines.listUnfinished());
        expect(after).toContain(active.id);
        expect(after).not.toContain(endedLate.id);
        expect(after).not.toContain(done.id);
      });
    });

    describe('models', () => {
      it('stores the model of a succeeded pipeline and reads it back for its owner only', async () => {
        const owner = anOwner();
        const { pipeline, model, expected } = await withModel(owner);
        expect(model).toEqual(expected);
        expect(pipeline.status).toBe('succeeded');
        expect(await value((r) => r.models.findByPipeline(pipeline.id))).toEqual(expected);
        expect(await value((r) => r.models.listByOwner(owner))).toEqual([expected]);
        expect(await value((r) => r.models.listByOwner(anOwner()))).toEqual([]);
      });

      it('refuses a model of a pipeline that has not succeeded (I6)', async () => {
        const { p } = await inTraining(anOwner());
        const { model } = succeeded(p);
        expect(await refusal((r) => r.models.insert(model))).toBe('persistence.constraint');
        await save(failed(p));
        expect(await refusal((r) => r.models.insert(model))).toBe('persistence.constraint');
        expect(await value((r) => r.models.findByPipeline(p.id))).toBeNull();
      });

      it('refuses a model whose owner, training set, version or id is not its pipeline ones (I5, I6)', async () => {
        const owner = anOwner();
        const { p, uploads } = await inTraining(owner);
        const done = succeeded(p);
        await value((r) => r.pipelines.update(done.pipeline));
        const { model } = done;
        const tries: Model[] = [
          { ...model, ownerId: anOwner() },
          { ...model, trainingSet: [] },
          { ...model, trainingSet: model.trainingSet.slice(1) },
          { ...model, trainingSet: [...model.trainingSet].reverse() },
          { ...model, trainingSet: [{ uploadId: anUpload(owner).id, sha256: uploads[0]!.sha256 }, ...model.trainingSet.slice(1)] },
          { ...model, version: `${model.destination.owner}/${model.destination.name}:0000` },
          { ...model, id: aModelId() },
        ];
        for (const forged of tries) expect(await refusal((r) => r.models.insert(forged))).toBe('persistence.constraint');
        expect(await value((r) => r.models.insert(model))).toEqual(model);
        expect(await refusal((r) => r.models.insert(model))).toBe('persistence.conflict');
      });

      it('quarantines at the read revision only, keeping owner, pipeline and version', async () => {
        const { model } = await withModel(anOwner());
        const held = await value((r) => r.models.update(quarantine(model, 'audit: foreign photo')));
        expect(held).toEqual({ ...model, status: 'quarantined', quarantineReason: 'audit: foreign photo', revision: 1 });
        expect(await value((r) => r.models.findByPipeline(model.pipelineId))).toEqual(held);
        expect(await refusal((r) => r.models.update(quarantine(model, 'again')))).toBe('persistence.conflict');
        expect(await refusal((r) => r.models.update({ ...held, version: `${model.version}0` }))).toBe('persistence.constraint');
        expect(await refusal((r) => r.models.update({ ...held, trainingSet: held.trainingSet.slice(1) }))).toBe('persistence.constraint');
        expect(await refusal((r) => r.models.update({ ...held, ownerId: anOwner() }))).toBe('persistence.constraint');
      });

      it('finds any owner model by its id alone, as it now stands, and nothing for an unknown id', async () => {
        const [first, second] = [await withModel(anOwner()), await withModel(anOwner())];
        expect(await value((r) => r.models.getById(first.model.id))).toEqual(first.expected);
        expect(await value((r) => r.models.getById(second.model.id))).toEqual(second.expected);
        const held = await value((r) => r.models.update(quarantine(first.model, 'audit: test')));
        expect(await value((r) => r.models.getById(first.model.id))).toEqual(held);
        expect(await value((r) => r.models.getById(aModelId()))).toBeNull();
      });
    });

    describe('owners', () => {
      // A database of its own for each test: the listing covers every owner of the database.
      async function alone(body: (helpers: ReturnType<typeof helpersOver>, own: RepositoryHarness) => Promise<void>): Promise<void> {
        const own = await open();
        try {
          await body(helpersOver(() => own.uow), own);
        } finally {
          await own.close();
        }
      }
      // Prefixes chosen so that insertion order, locale order (a B m Z) and byte order (B Z a m) all differ.
      const ownerNamed = (prefix: string): OwnerId => OwnerId.parse(`${prefix}-${anOwner()}`)._unsafeUnwrap();

      it('knows no owner in an empty database', () =>
        alone(async ({ value }) => {
          expect(await value((r) => r.owners.listKnown())).toEqual([]);
        }));

      it('lists each owner once, in id byte order, including owners known only by a deleted upload, a pipeline or a model', () =>
        alone(async ({ value, storeUploads, insertQueued, withModel }, own) => {
          const several = ownerNamed('m');
          const deletedOnly = ownerNamed('B');
          const pipelineOnly = ownerNamed('a');
          const modelOnly = ownerNamed('Z');

          // Uploads (one deleted), a pipeline and a model: still one entry.
          await withModel(several);
          const gone = anUpload(several);
          await storeUploads([gone]);
          await value((r) => r.uploads.update(markDeleted(gone, at(9))));

          const onlyUpload = anUpload(deletedOnly);
          await storeUploads([onlyUpload]);
          await value((r) => r.uploads.update(markDeleted(onlyUpload, at(9))));

          await insertQueued(pipelineOnly);
          await own.eraseOutOfBand('uploads', pipelineOnly);

          await withModel(modelOnly);
          await own.eraseOutOfBand('uploads', modelOnly);
          await own.eraseOutOfBand('pipelines', modelOnly);

          // The planted state is what the test means: each owner is known by the rows named above only.
          expect(await value((r) => r.uploads.listByOwner(pipelineOnly, { includeDeleted: true }))).toEqual([]);
          expect(await value((r) => r.pipelines.listByOwner(pipelineOnly))).toHaveLength(1);
          expect(await value((r) => r.uploads.listByOwner(modelOnly, { includeDeleted: true }))).toEqual([]);
          expect(await value((r) => r.pipelines.listByOwner(modelOnly))).toEqual([]);
          expect(await value((r) => r.models.listByOwner(modelOnly))).toHaveLength(1);
          expect(await value((r) => r.uploads.listByOwner(deletedOnly))).toEqual([]);

          expect(await value((r) => r.owners.listKnown())).toEqual([deletedOnly, modelOnly, pipelineOnly, several]);
        }));

      it('pages the same owners in the same order: up to the limit after a cursor, each owner once', () =>
        alone(async ({ value, storeUploads, insertQueued, withModel }, own) => {
          const several = ownerNamed('m');
          const pipelineOnly = ownerNamed('a');
          const modelOnly = ownerNamed('Z');
          const uploadsOnly = [ownerNamed('B'), ownerNamed('c'), ownerNamed('Y')];
          await withModel(several);
          await storeUploads([anUpload(several)]);
          await insertQueued(pipelineOnly);
          await own.eraseOutOfBand('uploads', pipelineOnly);
          await withModel(modelOnly);
          await own.eraseOutOfBand('uploads', modelOnly);
          await own.eraseOutOfBand('pipelines', modelOnly);
          for (const owner of uploadsOnly) await storeUploads([anUpload(owner), anUpload(owner)]);

          const all = await value((r) => r.owners.listKnown());
          expect(all).toHaveLength(6);
          for (const limit of [1, 2, 4, 6, 7]) {
            const walked: OwnerId[] = [];
            let after: OwnerId | null = null;
            for (;;) {
              const cursor: OwnerId | null = after;
              const page: readonly OwnerId[] = await value((r) => r.owners.listKnownAfter(cursor, limit));
              expect(page.length).toBeLessThanOrEqual(limit);
              walked.push(...page);
              if (page.length < limit) break;
              after = page[page.length - 1]!;
            }
            expect(walked).toEqual(all);
          }
          // A cursor need not be an owner; past the last one, nothing.
          expect(await value((r) => r.owners.listKnownAfter(OwnerId.parse('b')._unsafeUnwrap(), 2))).toEqual(all.filter((o) => o > 'b').slice(0, 2));
          expect(await value((r) => r.owners.listKnownAfter(all[all.length - 1]!, 5))).toEqual([]);
        }));

      it('pages nothing in an empty database', () =>
        alone(async ({ value }) => {
          expect(await value((r) => r.owners.listKnownAfter(null, 10))).toEqual([]);
        }));
    });

    describe('webhook deliveries', () => {
      it('records a delivery id once: true the first time, false for every redelivery', async () => {
        const id = aDeliveryId();
        expect(await value((r) => r.webhookDeliveries.recordOnce(id, at(1)))).toBe(true);
        expect(await value((r) => r.webhookDeliveries.recordOnce(id, at(2)))).toBe(false);
        expect(await value((r) => r.webhookDeliveries.recordOnce(aDeliveryId(), at(2)))).toBe(true);
      });

      it('forgets deliveries received before a cutoff, and only those', async () => {
        const old = aDeliveryId();
        const recent = aDeliveryId();
        expect(await value((r) => r.webhookDeliveries.recordOnce(old, at(10)))).toBe(true);
        expect(await value((r) => r.webhookDeliveries.recordOnce(recent, at(60)))).toBe(true);
        expect(await value((r) => r.webhookDeliveries.pruneReceivedBefore(at(30)))).toBeGreaterThanOrEqual(1);
        expect(await value((r) => r.webhookDeliveries.seen(old))).toBe(false);
        expect(await value((r) => r.webhookDeliveries.seen(recent))).toBe(true);
        expect(await value((r) => r.webhookDeliveries.recordOnce(recent, at(61)))).toBe(false);
      });
    });

    describe('upload slots', () => {
      const aSlotId = () => anUpload(anOwner()).id;
      it('lists an owner open slots soonest first, never another owner ones or expired ones', async () => {
        const [owner, other] = [anOwner(), anOwner()];
        const [a, b, c, d] = [aSlotId(), aSlotId(), aSlotId(), aSlotId()];
        await value((r) => r.uploadSlots.record({ ownerId: owner, uploadId: a, expiresAt: at(30) }));
        await value((r) => r.uploadSlots.record({ ownerId: owner, uploadId: b, expiresAt: at(20) }));
        await value((r) => r.uploadSlots.record({ ownerId: owner, uploadId: c, expiresAt: at(5) }));
        await value((r) => r.uploadSlots.record({ ownerId: other, uploadId: d, expiresAt: at(25) }));
        expect(await value((r) => r.uploadSlots.listOpenExpiries(owner, at(10)))).toEqual([at(20), at(30)]);
        expect(await value((r) => r.uploadSlots.listOpenExpiries(other, at(10)))).toEqual([at(25)]);
        expect(await value((r) => r.uploadSlots.listOpenExpiries(anOwner(), at(10)))).toEqual([]);
      });

      it('closes a slot for its owner only', async () => {
        const [owner, other] = [anOwner(), anOwner()];
        const id = aSlotId();
        await value((r) => r.uploadSlots.record({ ownerId: owner, uploadId: id, expiresAt: at(30) }));
        await value((r) => r.uploadSlots.close(other, id));
        expect(await value((r) => r.uploadSlots.listOpenExpiries(owner, at(0)))).toEqual([at(30)]);
        await value((r) => r.uploadSlots.close(owner, id));
        await value((r) => r.uploadSlots.close(owner, id));
        expect(await value((r) => r.uploadSlots.listOpenExpiries(owner, at(0)))).toEqual([]);
      });

      it('forgets slots expired before a cutoff, and only those', async () => {
        const owner = anOwner();
        await value((r) => r.uploadSlots.record({ ownerId: owner, uploadId: aSlotId(), expiresAt: at(-500) }));
        await value((r) => r.uploadSlots.record({ ownerId: owner, uploadId: aSlotId(), expiresAt: at(500) }));
        expect(await value((r) => r.uploadSlots.pruneExpiredBefore(at(0)))).toBeGreaterThanOrEqual(1);
        expect(await value((r) => r.uploadSlots.listOpenExpiries(owner, at(-1000)))).toEqual([at(500)]);
      });
    });

    describe('pending uploads', () => {
      const received = (owner: OwnerId, minute: number, label = `bytes-${minute}-${Math.random()}`): PendingUpload =>
        receivePhoto({ id: anUpload(owner).id, ownerId: owner, sourceSha256: shaOf(label), byteSize: 1234, now: at(minute) });
      const mine = (rows: readonly PendingUpload[], owner: OwnerId) => rows.filter((row) => row.ownerId === owner);

      it('reads a pending upload back exactly as written, only for its owner, and finds it by its bytes while it is checking', async () => {
        const [owner, other] = [anOwner(), anOwner()];
        const row = received(owner, 1, 'same bytes');
        expect(await value((r) => r.pendingUploads.insert(row))).toEqual(row);
        expect(await value((r) => r.pendingUploads.get(owner, row.id))).toEqual(row);
        expect(await value((r) => r.pendingUploads.get(other, row.id))).toBeNull();
        expect(await value((r) => r.pendingUploads.findCheckingBySourceSha256(owner, row.sourceSha256))).toEqual(row);
        expect(await value((r) => r.pendingUploads.findCheckingBySourceSha256(other, row.sourceSha256))).toBeNull();
        const refused = await value((r) => r.pendingUploads.update(refusePhoto(row, 'upload.no_face', at(2))));
        expect(refused).toEqual({ ...refusePhoto(row, 'upload.no_face', at(2)), revision: 1 });
        expect(await value((r) => r.pendingUploads.get(owner, row.id))).toEqual(refused);
        expect(await value((r) => r.pendingUploads.findCheckingBySourceSha256(owner, row.sourceSha256))).toBeNull();
      });

      it('refuses a second checking row of the same owner and bytes, and an id already taken, as conflicts', async () => {
        const owner = anOwner();
        const row = received(owner, 1, 'twin');
        await value((r) => r.pendingUploads.insert(row));
        expect(await refusal((r) => r.pendingUploads.insert({ ...received(owner, 2, 'twin') }))).toBe('persistence.conflict');
        expect(await refusal((r) => r.pendingUploads.insert({ ...received(owner, 2), id: row.id }))).toBe('persistence.conflict');
        const stored = anUpload(owner);
        await storeUploads([stored]);
        expect(await refusal((r) => r.pendingUploads.insert({ ...received(owner, 2), id: stored.id }))).toBe('persistence.conflict');
        // Another owner may send the same bytes.
        expect((await run((r) => r.pendingUploads.insert(received(anOwner(), 2, 'twin')))).isOk()).toBe(true);
      });

      it('writes and removes only at the revision read', async () => {
        const owner = anOwner();
        const row = await value((r) => r.pendingUploads.insert(received(owner, 1)));
        const later = await value((r) => r.pendingUploads.update(checkDeferred(row, defaultRetryPolicy, at(2))));
        expect(later).toMatchObject({ attempts: 1, revision: 1 });
        expect(await refusal((r) => r.pendingUploads.update(checkDeferred(row, defaultRetryPolicy, at(3))))).toBe('persistence.conflict');
        expect(await refusal((r) => r.pendingUploads.remove(row))).toBe('persistence.conflict');
        expect(await refusal((r) => r.pendingUploads.update({ ...later, ownerId: anOwner() }))).toBe('persistence.conflict');
        await value((r) => r.pendingUploads.remove(later));
        expect(await value((r) => r.pendingUploads.get(owner, row.id))).toBeNull();
        expect(await refusal((r) => r.pendingUploads.remove(later))).toBe('persistence.conflict');
      });

      it("lists an owner's rows oldest first and removes them all for that owner only", async () => {
        const [owner, other] = [anOwner(), anOwner()];
        const [late, early, others] = [received(owner, 5), received(owner, 3), received(other, 4)];
        for (const row of [late, early, others]) await value((r) => r.pendingUploads.insert(row));
        expect((await value((r) => r.pendingUploads.listByOwner(owner))).map((row) => row.id)).toEqual([early.id, late.id]);
        expect(await value((r) => r.pendingUploads.removeByOwner(owner))).toBe(2);
        expect(await value((r) => r.pendingUploads.listByOwner(owner))).toEqual([]);
        expect(await value((r) => r.pendingUploads.listByOwner(other))).toHaveLength(1);
      });

      it('claims due checking rows oldest first, holds them, and never hands one out twice while held', async () => {
        const owner = anOwner();
        const [a, b, c] = [received(owner, -300), received(owner, -299), received(owner, -298)];
        const notYet = { ...received(owner, -297), notBefore: at(10_000) };
        const refusedRow = refusePhoto(received(owner, -296), 'upload.corrupt', at(-296));
        for (const row of [c, a, b, notYet, refusedRow]) await value((r) => r.pendingUploads.insert(row));
        // Rows of other tests may be due too: claim enough to reach every one of ours.
        const first = mine(await value((r) => r.pendingUploads.claimDue({ now: at(0), until: at(5), limit: 10_000 })), owner);
        expect(first.map((row) => row.id)).toEqual([a.id, b.id, c.id]);
        expect(first.every((row) => row.notBefore?.getTime() === at(5).getTime() && row.revision === 1)).toBe(true);
        expect(mine(await value((r) => r.pendingUploads.claimDue({ now: at(1), until: at(6), limit: 10_000 })), owner)).toEqual([]);
        // Once the hold runs out (a worker died), they are due again.
        expect(mine(await value((r) => r.pendingUploads.claimDue({ now: at(5), until: at(10), limit: 10_000 })), owner)).toHaveLength(3);
      });

      it("sums an owner's photos checking (as the quota counts them), never refused ones, another owner's, or the one left out", async () => {
        const [owner, other] = [anOwner(), anOwner()];
        const [a, b] = [{ ...received(owner, 1), byteSize: 100 }, { ...received(owner, 2), byteSize: 250 }];
        const refusedRow = refusePhoto({ ...received(owner, 3), byteSize: 999 }, 'upload.corrupt', at(3));
        for (const row of [a, b, refusedRow, { ...received(other, 1), byteSize: 7 }]) await value((r) => r.pendingUploads.insert(row));
        expect(await value((r) => r.pendingUploads.checkingUsage(owner, null))).toEqual({ photos: 2, bytes: 350 });
        expect(await value((r) => r.pendingUploads.checkingUsage(owner, a.id))).toEqual({ photos: 1, bytes: 250 });
        expect(await value((r) => r.pendingUploads.checkingUsage(anOwner(), null))).toEqual({ photos: 0, bytes: 0 });
      });

      it('forgets refused rows settled before a cutoff, never checking ones', async () => {
        const owner = anOwner();
        const old = refusePhoto(received(owner, -20_000), 'upload.no_face', at(-20_000));
        const recent = refusePhoto(received(owner, -1), 'upload.no_face', at(-1));
        const checking = received(owner, -20_000);
        for (const row of [old, recent, checking]) await value((r) => r.pendingUploads.insert(row));
        expect(await value((r) => r.pendingUploads.pruneRefusedBefore(at(-10_000)))).toBeGreaterThanOrEqual(1);
        expect((await value((r) => r.pendingUploads.listByOwner(owner))).map((row) => row.id)).toEqual([checking.id, recent.id]);
      });
    });

    describe('transactions', () => {
      it('rolls back every write when the work returns Err, passing the error through', async () => {
        const owner = anOwner();
        const uploads = photosOf(owner);
        const delivery = aDeliveryId();
        const p = queued(setOf(owner, uploads));
        const refusedByCaller = domainError('training.not_enough_photos', 'test');
        const result = await run((r) =>
          uploads
            .reduce<ResultAsync<unknown, PersistenceError>>((chain, u) => chain.andThen(() => r.uploads.insert(u)), okAsync(null))
            .andThen(() => r.pipelines.insert(p))
            .andThen(() => r.webhookDeliveries.recordOnce(delivery, at(1)))
            .andThen(() => errAsync(refusedByCaller)),
        );
        expect(result._unsafeUnwrapErr()).toEqual(refusedByCaller);
        expect(await value((r) => r.uploads.listByOwner(owner, { includeDeleted: true }))).toEqual([]);
        expect(await value((r) => r.pipelines.getById(p.id))).toBeNull();
        expect(await value((r) => r.webhookDeliveries.recordOnce(delivery, at(2)))).toBe(true);
      });

      it('rolls back when the work throws, and answers with an error instead of throwing', async () => {
        const upload = anUpload(anOwner());
        const result = await run((r) =>
          r.uploads.insert(upload).map(() => {
            throw new Error('bug in the work');
          }),
        );
        expect(result._unsafeUnwrapErr().code).toBe('persistence.unavailable');
        const thrown = await run(() => {
          throw new Error('bug before any write');
        });
        expect(thrown._unsafeUnwrapErr().code).toBe('persistence.unavailable');
        expect(await value((r) => r.uploads.get(upload.ownerId, upload.id))).toBeNull();
      });

      it('sees its own writes, and a refused write leaves the rest of the work to commit', async () => {
        const owner = anOwner();
        const [first, second] = [anUpload(owner), anUpload(owner)];
        const seen = await value((r) =>
          r.uploads
            .insert(first)
            .andThen(() => r.uploads.get(owner, first.id))
            .andThen((read) =>
              r.uploads
                .insert({ ...second, sha256: first.sha256 })
                .map(() => 'inserted')
                .orElse((error) => okAsync(error.code))
                .andThen((outcome) => r.uploads.insert(second).map(() => ({ read, outcome }))),
            ),
        );
        expect(seen).toEqual({ read: first, outcome: 'persistence.conflict' });
        expect(await value((r) => r.uploads.listByOwner(owner))).toEqual([first, second]);
      });
    });
  });
}
