import { describe, expect, it } from 'vitest';
import {
  advancePipeline,
  carryOutDueErasures,
  defaultRetryPolicy,
  deleteUpload,
  listModels,
  listUploads,
  registerUpload,
  removeUpload,
  restartTraining,
  runPipeline,
  transientError,
  uploadKey,
} from '@selfie-lora/core';
import { errAsync, okAsync } from 'neverthrow';
import { photo, streamOf } from '@selfie-lora/testkit/photos';
import {
  advanceTo,
  alice,
  bob,
  errorCode,
  expectUnchanged,
  failureCode,
  memoryCore,
  ownersState,
  packageKeys,
  pipelineAtTrainer,
  startedPipeline,
  storedPipeline,
  storedState,
  trainingFor,
  uploadPhoto,
  uploadPhotos,
} from '../support/memory-core-fixtures.js';
import { withRepositories } from '../support/rewritten-repositories.js';

describe('deleteUpload', () => {
  it('erases the bytes at once and keeps the row as deleted', async () => {
    const core = memoryCore();
    const [kept, gone] = await uploadPhotos(core, alice, [1, 2]);
    const deleted = (await deleteUpload(core.deps, { ownerId: alice, uploadId: gone!.id }))._unsafeUnwrap();
    expect(deleted.canceled).toBeNull();
    expect(deleted.upload).toMatchObject({ id: gone!.id, ownerId: alice, sha256: gone!.sha256, status: 'deleted' });
    expect(deleted.upload.deletedAt).toEqual(core.clock.now());
    expect(core.store.keys()).toEqual([uploadKey(alice, kept!.id)]);
    const rows = core.db.snapshot().uploads;
    expect(rows.find((u) => u.id === gone!.id)?.status).toBe('deleted');
    expect(rows.find((u) => u.id === kept!.id)?.status).toBe('stored');
    // The owner's list shows only what is still there.
    expect((await listUploads(core.deps, alice))._unsafeUnwrap().map((u) => u.id)).toEqual([kept!.id]);
  });

  it("answers upload.not_found for another owner's photo and leaves it untouched", async () => {
    const core = memoryCore();
    const bobs = await uploadPhoto(core, bob, 5);
    await uploadPhoto(core, alice, 6);
    const before = storedState(core);
    expect(errorCode(await deleteUpload(core.deps, { ownerId: alice, uploadId: bobs.id }))).toBe('upload.not_found');
    expectUnchanged(core, before);
  });

  it('answers upload.not_found for an id nobody has', async () => {
    const core = memoryCore();
    const upload = await uploadPhoto(core, alice, 6);
    const before = storedState(core);
    const missing = { ownerId: alice, uploadId: `${upload.id}x` as typeof upload.id };
    expect((await deleteUpload(core.deps, missing))._unsafeUnwrapErr()).toMatchObject({ code: 'upload.not_found', detail: `upload ${missing.uploadId}` });
    expectUnchanged(core, before);
  });

  it('deleting a deleted photo again answers it as it is and rewrites no row', async () => {
    const core = memoryCore();
    const upload = await uploadPhoto(core, alice, 7);
    const first = (await deleteUpload(core.deps, { ownerId: alice, uploadId: upload.id }))._unsafeUnwrap();
    const before = storedState(core);
    core.clock.advance(60_000);
    const again = (await deleteUpload(core.deps, { ownerId: alice, uploadId: upload.id }))._unsafeUnwrap();
    expect(again.upload).toEqual(first.upload);
    expectUnchanged(core, before);
  });

  it('when recording that the bytes are gone fails, the delete still answers, with the erasure owed', async () => {
    const core = memoryCore();
    const upload = await uploadPhoto(core, alice, 9);
    const down = transientError('persistence.unavailable', 'injected by the test');
    const failing = withRepositories(core.deps.uow, (repos) => ({ ...repos, erasures: { ...repos.erasures, settle: () => errAsync(down) } }));
    const deleted = (await deleteUpload({ ...core.deps, uow: failing }, { ownerId: alice, uploadId: upload.id }))._unsafeUnwrap();
    expect(deleted.upload.status).toBe('deleted');
    expect(deleted.erasure.state).toBe('pending');
    expect(core.db.erasureRows()).toEqual([expect.objectContaining({ state: 'pending' })]);
  });

  it('removeUpload deletes a stored photo as deleteUpload does', async () => {
    const core = memoryCore();
    const upload = await uploadPhoto(core, alice, 10);
    const removed = (await removeUpload(core.deps, { ownerId: alice, uploadId: upload.id }))._unsafeUnwrap();
    expect(removed).toMatchObject({ kind: 'deleted', canceled: null, upload: { id: upload.id, status: 'deleted' }, erasure: { state: 'done' } });
    expect(core.store.keys()).toEqual([]);
  });

  it('re-uploading the same bytes after a delete makes a new upload', async () => {
    const core = memoryCore();
    const bytes = await photo(8);
    const first = (await registerUpload(core.deps, { ownerId: alice, body: streamOf(bytes) }))._unsafeUnwrap().upload;
    (await deleteUpload(core.deps, { ownerId: alice, uploadId: first.id }))._unsafeUnwrap();
    const again = (await registerUpload(core.deps, { ownerId: alice, body: streamOf(bytes) }))._unsafeUnwrap();
    expect(again.duplicate).toBe(false);
    expect(again.upload.id).not.toBe(first.id);
    expect(core.store.keys()).toEqual([uploadKey(alice, again.upload.id)]);
  });

  it('cancels the active pipeline using the photo, with a reason, and the owner can restart', async () => {
    const core = memoryCore();
    await startedPipeline(core, bob, [50, 51, 52]);
    const bobsBefore = ownersState(core, bob);
    const { uploads, pipeline } = await startedPipeline(core, alice, [1, 2, 3, 4]);
    await advanceTo(core, pipeline.id, 'verifying_package');
    expect(packageKeys(core).length).toBeGreaterThan(0);

    const deleted = (await deleteUpload(core.deps, { ownerId: alice, uploadId: uploads[0]!.id }))._unsafeUnwrap();
    expect(deleted.canceled?.id).toBe(pipeline.id);
    const ended = storedPipeline(core, pipeline.id);
    expect(ended.status).toBe('canceled');
    expect(failureCode(ended)).toBe('training.canceled_upload_deleted');
    expect('failure' in ended && ended.failure.message).toMatch(/deleted/);
    // The package held the deleted photo: it goes too.
    expect(packageKeys(core).filter((key) => key.includes(pipeline.id))).toEqual([]);
    expect(core.store.keys()).not.toContain(uploadKey(alice, uploads[0]!.id));
    // Bob's pipeline is not touched.
    expect(ownersState(core, bob)).toEqual(bobsBefore);

    const restarted = (await restartTraining(core.deps, { ownerId: alice, pipelineId: pipeline.id }))._unsafeUnwrap();
    expect(restarted.trainingSet.items.map((i) => i.uploadId)).toEqual(uploads.slice(1).map((u) => u.id));
  });

  it('cancels a pipeline that is training and tells the trainer to stop', async () => {
    const core = memoryCore();
    const { uploads, pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    (await deleteUpload(core.deps, { ownerId: alice, uploadId: uploads[2]!.id }))._unsafeUnwrap();
    expect(trainingFor(core, pipeline.id).status).toBe('canceled');
    expect(storedPipeline(core, pipeline.id).status).toBe('canceled');
    expect(packageKeys(core)).toEqual([]);
  });

  it('does not cancel the active pipeline when the photo is not in its training set', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    const later = await uploadPhoto(core, alice, 4);
    const deleted = (await deleteUpload(core.deps, { ownerId: alice, uploadId: later.id }))._unsafeUnwrap();
    expect(deleted.canceled).toBeNull();
    expect(storedPipeline(core, pipeline.id).status).toBe('queued');
  });

  it("keeps a model's provenance rows after its photos are deleted", async () => {
    const core = memoryCore();
    const { uploads, pipeline } = await pipelineAtTrainer(core, alice, [1, 2, 3]);
    core.trainer.finish(trainingFor(core, pipeline.id).id, 'succeeded');
    const done = (await runPipeline(core.deps, pipeline.id))._unsafeUnwrap();
    expect(done.status).toBe('succeeded');
    const [model] = (await listModels(core.deps, alice))._unsafeUnwrap();

    for (const upload of uploads) (await deleteUpload(core.deps, { ownerId: alice, uploadId: upload.id }))._unsafeUnwrap();

    expect(core.store.keys()).toEqual([]);
    const rows = core.db.snapshot();
    expect(rows.uploads.map((u) => [u.id, u.sha256, u.status])).toEqual(uploads.map((u) => [u.id, u.sha256, 'deleted']));
    expect(rows.pipelines).toEqual([done]);
    expect(rows.models).toEqual([model]);
    expect(model!.trainingSet).toEqual(uploads.map((u) => ({ uploadId: u.id, sha256: u.sha256 })));
  });

  it('a failed storage delete leaves the erasure owed, and the worker erases the bytes once it is due', async () => {
    const core = memoryCore();
    const [upload, other] = await uploadPhotos(core, alice, [1, 2]);
    core.store.faults.failNext('delete');
    const deleted = (await deleteUpload(core.deps, { ownerId: alice, uploadId: upload!.id }))._unsafeUnwrap();
    // The row says deleted, so the photo is never used again; its bytes are still there, owed.
    expect(deleted.upload.status).toBe('deleted');
    expect(deleted.erasure).toMatchObject({ state: 'pending', attempt: 1 });
    expect(deleted.erasure.lastError).toMatch(/^storage\.unavailable/);
    expect(core.store.keys()).toContain(uploadKey(alice, upload!.id));

    // Not due before its backoff: nothing is tried.
    expect((await carryOutDueErasures(core.deps, { limit: 10 }))._unsafeUnwrap()).toEqual({ done: 0, refused: 0, retried: 0 });
    core.store.faults.failNext('delete');
    core.clock.advance(deleted.erasure.notBefore!.getTime() - core.clock.now().getTime());
    expect((await carryOutDueErasures(core.deps, { limit: 10 }))._unsafeUnwrap()).toEqual({ done: 0, refused: 0, retried: 1 });
    const [backedOff] = core.db.erasureRows();
    expect(backedOff).toMatchObject({ state: 'pending', attempt: 2 });
    // The second failure waits twice as long as the first.
    expect(backedOff!.notBefore!.getTime() - core.clock.now().getTime()).toBe(2 * (deleted.erasure.notBefore!.getTime() - deleted.erasure.requestedAt.getTime()));

    core.clock.advance(backedOff!.notBefore!.getTime() - core.clock.now().getTime());
    expect((await carryOutDueErasures(core.deps, { limit: 10 }))._unsafeUnwrap()).toEqual({ done: 1, refused: 0, retried: 0 });
    expect(core.store.keys()).toEqual([uploadKey(alice, other!.id)]);
    expect(core.db.erasureRows()).toEqual([expect.objectContaining({ state: 'done', finishedAt: core.clock.now(), lastError: null })]);
  });

  // In Postgres a worker's step can commit between the delete's read of the active pipeline and
  // its cancel (the memory database runs transactions one at a time, so the stale read is staged
  // here). The owner asked to delete the photo: that must not come back as "changed at the same time".
  it('re-reads and deletes when a worker step commits between its read and its write', async () => {
    const core = memoryCore();
    const { uploads, pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    const before = storedPipeline(core, pipeline.id);
    await advanceTo(core, pipeline.id, 'packaging');
    let staleReads = 2;
    const racing = withRepositories(core.deps.uow, (repos) => ({
      ...repos,
      pipelines: { ...repos.pipelines, findActive: (ownerId) => (staleReads-- > 0 ? okAsync(before) : repos.pipelines.findActive(ownerId)) },
    }));
    const deleted = (await deleteUpload({ ...core.deps, uow: racing }, { ownerId: alice, uploadId: uploads[0]!.id }))._unsafeUnwrap();
    expect(staleReads).toBe(-1);
    expect(deleted.upload.status).toBe('deleted');
    expect(deleted.canceled).toMatchObject({ id: pipeline.id, status: 'canceled', failure: { code: 'training.canceled_upload_deleted', step: 'package' } });
    expect(storedPipeline(core, pipeline.id)).toMatchObject({ status: 'canceled', failure: deleted.canceled!.failure });
    expect(core.db.snapshot().uploads.find((u) => u.id === uploads[0]!.id)?.status).toBe('deleted');
    expect(core.store.keys()).not.toContain(uploadKey(alice, uploads[0]!.id));
  });

  it('when the package cannot be deleted at cancel time, the next advance deletes it', async () => {
    const core = memoryCore();
    const { uploads, pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'submitting');
    core.store.faults.failNext('delete');
    (await deleteUpload(core.deps, { ownerId: alice, uploadId: uploads[0]!.id }))._unsafeUnwrap();
    expect(core.log.kinds()).toContain('pipeline.cleanup_deferred');
    // The photo itself is gone even though the package clean-up was deferred.
    expect(core.store.keys()).not.toContain(uploadKey(alice, uploads[0]!.id));
    expect(packageKeys(core)).toHaveLength(1);

    // Once the clean-up's backoff is over (pipeline-cleanup.test.ts).
    core.clock.advance(defaultRetryPolicy.baseDelayMs);
    const advance = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap();
    expect(advance.pipeline.status).toBe('canceled');
    expect(packageKeys(core)).toEqual([]);
    expect('packageDeletedAt' in advance.pipeline && advance.pipeline.packageDeletedAt).toEqual(core.clock.now());
  });
});
