import { errAsync, ResultAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { createMemoryCore, FakeFaceInspector, oneFace, type MemoryCore } from '@selfie-lora/adapters/memory';
import {
  acceptStagedUpload,
  acceptUpload,
  checkDueUploads,
  CHECK_HOLD_MS,
  checkUpload,
  createUploadSlot,
  domainError,
  eraseOwner,
  exportOwnerData,
  listOwnerPhotos,
  listUploads,
  MAX_CHECK_ATTEMPTS,
  REFUSED_RETENTION_MS,
  removeUpload,
  stagingKey,
  startTraining,
  STAGING_EXPIRY_MS,
  sweepExpired,
  uploadKey,
  type AcceptedUpload,
  type CoreConfig,
  type FaceInspector,
  type FaceReport,
  type NormalisedPhoto,
  type OwnerId,
  type PendingUpload,
} from '@selfie-lora/core';
import { photo, sha256Of, streamOf, withJpegComment } from '@selfie-lora/testkit/photos';
import { alice, bob, errorCode, memoryCore } from '../support/memory-core-fixtures.js';
import { putLandsAfterRead } from '../support/racing-store.js';
import { withRepositories } from '../support/rewritten-repositories.js';

// Issue 11 point 4: with `checkPhotosAfterAnswer`, an upload is answered once its bytes are
// staged and recorded `checking`; the worker's `checkDueUploads` normalises and checks it, then
// stores it under the same id or refuses it with the reason. What the fake face inspector sees
// is chosen by the photo's width (as in photo-checks.test.ts).
const SCENES: Record<number, (p: NormalisedPhoto) => FaceReport> = {
  300: (p) => oneFace(p, 0),
  301: (p) => oneFace(p, 1),
  310: (p) => ({ width: p.facts.width, height: p.facts.height, faces: [] }),
};

function setUp(config: Partial<CoreConfig> = {}): { core: MemoryCore; faces: FakeFaceInspector } {
  const faces = new FakeFaceInspector((p) => (SCENES[p.facts.width] ?? SCENES[300]!)(p));
  return { core: createMemoryCore({ config: { minPhotos: 2, checkPhotosAfterAnswer: true, ...config }, faces }), faces };
}


let seed = 5000;
async function bytesOf(width = 300): Promise<Uint8Array> {
  seed += 1;
  return photo(seed, { width, height: 300 });
}

async function send(core: MemoryCore, bytes: Uint8Array, ownerId: OwnerId = alice): Promise<AcceptedUpload> {
  return (await acceptUpload(core.deps, { ownerId, body: streamOf(bytes) }))._unsafeUnwrap();
}

function pendingOf(accepted: AcceptedUpload): PendingUpload {
  expect(accepted.kind).toBe('pending');
  if (accepted.kind !== 'pending') throw new Error('not pending');
  return accepted.pending;
}

async function pendingRows(core: MemoryCore, ownerId: OwnerId = alice) {
  return (await listOwnerPhotos(core.deps, ownerId))._unsafeUnwrap().pending;
}

async function storedRows(core: MemoryCore, ownerId: OwnerId = alice) {
  return (await listUploads(core.deps, ownerId))._unsafeUnwrap();
}

describe('photos judged after the answer (issue 11 point 4)', () => {
  it('answers checking with the bytes staged as sent, decoding nothing, then stores the normalised photo under the same id', async () => {
    const { core, faces } = setUp();
    const bytes = await bytesOf();
    const pending = pendingOf(await send(core, bytes));
    expect(pending).toMatchObject({ ownerId: alice, status: 'checking', sourceSha256: sha256Of(bytes), byteSize: bytes.byteLength, refusal: null });
    expect(faces.inspected).toBe(0);
    expect(sha256Of(core.store.getBytes(stagingKey(alice, pending.id))!)).toBe(sha256Of(bytes));
    expect(await storedRows(core)).toEqual([]);

    expect((await checkDueUploads(core.deps, { limit: 8 }))._unsafeUnwrap()).toEqual({ stored: 1, refused: 0, deferred: 0, gone: 0 });
    const [upload] = await storedRows(core);
    expect(upload).toMatchObject({ id: pending.id, sourceSha256: sha256Of(bytes), status: 'stored' });
    expect(upload!.checks.map((c) => c.name)).toContain('face_found');
    expect(sha256Of(core.store.getBytes(uploadKey(alice, pending.id))!)).toBe(upload!.sha256);
    expect(core.store.getBytes(stagingKey(alice, pending.id))).toBeUndefined();
    expect(await pendingRows(core)).toEqual([]);
    // Nothing left to do: a second round claims nothing.
    expect((await checkDueUploads(core.deps, { limit: 8 }))._unsafeUnwrap()).toEqual({ stored: 0, refused: 0, deferred: 0, gone: 0 });
  });

  it('checks several at once, storing each photo once under its own id', async () => {
    const { core, faces } = setUp();
    const sent: PendingUpload[] = [];
    for (let i = 0; i < 5; i += 1) sent.push(pendingOf(await send(core, await bytesOf())));
    expect((await checkDueUploads(core.deps, { limit: 8, atOnce: 3 }))._unsafeUnwrap()).toEqual({ stored: 5, refused: 0, deferred: 0, gone: 0 });
    expect(faces.inspected).toBe(5);
    expect((await storedRows(core)).map((upload) => upload.id).sort()).toEqual(sent.map((p) => p.id).sort());
    expect(core.store.keys().filter((key) => key.startsWith('staging/'))).toEqual([]);
  });

  it('sending the same bytes again answers the photo already checking, then the stored one', async () => {
    const { core } = setUp();
    const bytes = await bytesOf();
    const first = pendingOf(await send(core, bytes));
    const again = await send(core, bytes);
    expect(again).toMatchObject({ kind: 'pending', duplicate: true, pending: { id: first.id } });
    expect(core.store.keys()).toEqual([stagingKey(alice, first.id)]);
    await checkDueUploads(core.deps, { limit: 8 });
    expect(await send(core, bytes)).toMatchObject({ kind: 'stored', duplicate: true, upload: { id: first.id } });
  });

  it('refuses a photo the checks fail with the reason for the owner, and keeps none of its bytes', async () => {
    const { core } = setUp();
    const noFace = pendingOf(await send(core, await bytesOf(310)));
    const corrupt = pendingOf(await send(core, new TextEncoder().encode('not a photo at all')));
    expect((await checkDueUploads(core.deps, { limit: 8 }))._unsafeUnwrap()).toMatchObject({ stored: 0, refused: 2 });
    const rows = await pendingRows(core);
    expect(rows.map((row) => [row.id, row.status, row.refusal?.code])).toEqual([
      [noFace.id, 'refused', 'upload.no_face'],
      [corrupt.id, 'refused', 'upload.unsupported_type'],
    ]);
    expect(rows[0]!.refusal!.message).toMatch(/No face was found/);
    expect(core.store.keys()).toEqual([]);
    expect(await storedRows(core)).toEqual([]);
    // What is held about a refused photo (ids, the hash as sent, the reason) is in the owner's export.
    expect((await exportOwnerData(core.deps, { ownerId: alice }))._unsafeUnwrap().pendingUploads).toEqual(rows);
    expect((await exportOwnerData(core.deps, { ownerId: bob }))._unsafeUnwrap().pendingUploads).toEqual([]);
  });

  it('tries a check again while the face inspector is unavailable, and refuses it after a bounded number of tries', async () => {
    const { core, faces } = setUp();
    const pending = pendingOf(await send(core, await bytesOf()));
    faces.unavailable = true;
    for (let attempt = 1; attempt < MAX_CHECK_ATTEMPTS; attempt += 1) {
      expect((await checkDueUploads(core.deps, { limit: 8 }))._unsafeUnwrap()).toMatchObject({ deferred: 1 });
      const [row] = await pendingRows(core);
      expect(row).toMatchObject({ status: 'checking', attempts: attempt });
      // Not due again before its backoff has passed.
      expect((await checkDueUploads(core.deps, { limit: 8 }))._unsafeUnwrap()).toMatchObject({ deferred: 0 });
      core.clock.advance(row!.notBefore!.getTime() - core.clock.now().getTime());
    }
    expect((await checkDueUploads(core.deps, { limit: 8 }))._unsafeUnwrap()).toMatchObject({ refused: 1 });
    expect((await pendingRows(core))[0]).toMatchObject({ id: pending.id, status: 'refused', refusal: { code: 'upload.checks_unavailable' } });
    expect(core.store.keys()).toEqual([]);
  });

  it('a check that becomes possible again stores the photo', async () => {
    const { core, faces } = setUp();
    pendingOf(await send(core, await bytesOf()));
    faces.unavailable = true;
    await checkDueUploads(core.deps, { limit: 8 });
    faces.unavailable = false;
    core.clock.advance(60 * 60_000);
    expect((await checkDueUploads(core.deps, { limit: 8 }))._unsafeUnwrap()).toMatchObject({ stored: 1 });
  });

  it('a training waits while a photo it would use is checking, and may start over named photos already stored', async () => {
    const { core } = setUp();
    const a = pendingOf(await send(core, await bytesOf()));
    const b = pendingOf(await send(core, await bytesOf()));
    await checkDueUploads(core.deps, { limit: 8 });
    const c = pendingOf(await send(core, await bytesOf()));
    expect(errorCode(await startTraining(core.deps, { ownerId: alice }))).toBe('training.photos_checking');
    expect(errorCode(await startTraining(core.deps, { ownerId: alice, uploadIds: [a.id, c.id] }))).toBe('training.photos_checking');
    // Another owner's photos are not theirs to wait for.
    pendingOf(await send(core, await bytesOf(), bob));
    const started = (await startTraining(core.deps, { ownerId: alice, uploadIds: [a.id, b.id] }))._unsafeUnwrap();
    expect(started.pipeline.trainingSet.items.map((item) => item.uploadId)).toEqual([a.id, b.id]);
  });

  it('a refused photo never stops a training; the owner may dismiss it, but not one still checking', async () => {
    const { core } = setUp();
    const checking = pendingOf(await send(core, await bytesOf(310)));
    expect((await removeUpload(core.deps, { ownerId: alice, uploadId: checking.id }))._unsafeUnwrapErr()).toMatchObject({
      code: 'upload.checking',
      detail: `upload ${checking.id} is checking`,
    });
    for (let i = 0; i < 2; i += 1) pendingOf(await send(core, await bytesOf()));
    await checkDueUploads(core.deps, { limit: 8 });
    expect((await startTraining(core.deps, { ownerId: alice })).isOk()).toBe(true);
    expect(errorCode(await removeUpload(core.deps, { ownerId: bob, uploadId: checking.id }))).toBe('upload.not_found');
    expect((await removeUpload(core.deps, { ownerId: alice, uploadId: checking.id }))._unsafeUnwrap()).toMatchObject({ kind: 'dismissed' });
    expect(await pendingRows(core)).toEqual([]);
  });

  it('photos still checking count against the storage quota', async () => {
    const { core } = setUp({ quotas: { trainingsPerDay: 10, maxStoredPhotos: 2, maxStoredBytes: 10 * 1024 * 1024, maxOpenSlots: 10 } });
    pendingOf(await send(core, await bytesOf()));
    pendingOf(await send(core, await bytesOf()));
    expect(errorCode(await acceptUpload(core.deps, { ownerId: alice, body: streamOf(await bytesOf()) }))).toBe('quota.stored_photos');
    // Storing them does not count them twice.
    expect((await checkDueUploads(core.deps, { limit: 8 }))._unsafeUnwrap()).toMatchObject({ stored: 2 });
    expect(core.store.keys().filter((key) => key.startsWith('staging/'))).toEqual([]);
  });

  it('the direct way: complete records the staged bytes checking, and completing again answers the same photo', async () => {
    const { core } = setUp();
    const bytes = await bytesOf();
    const slot = (await createUploadSlot(core.deps, { ownerId: alice, byteSize: bytes.byteLength }))._unsafeUnwrap();
    core.store.putSigned(slot.url, bytes)._unsafeUnwrap();
    const pending = pendingOf((await acceptStagedUpload(core.deps, { ownerId: alice, uploadId: slot.uploadId }))._unsafeUnwrap());
    expect(pending).toMatchObject({ id: slot.uploadId, sourceSha256: sha256Of(bytes) });
    expect(errorCode(await acceptStagedUpload(core.deps, { ownerId: bob, uploadId: slot.uploadId }))).toBe('upload.not_found');
    expect((await acceptStagedUpload(core.deps, { ownerId: alice, uploadId: slot.uploadId }))._unsafeUnwrap()).toMatchObject({
      kind: 'pending',
      duplicate: true,
      pending: { id: slot.uploadId },
    });
    await checkDueUploads(core.deps, { limit: 8 });
    expect((await acceptStagedUpload(core.deps, { ownerId: alice, uploadId: slot.uploadId }))._unsafeUnwrap()).toMatchObject({
      kind: 'stored',
      duplicate: true,
      upload: { id: slot.uploadId },
    });
  });

  it("erasing the owner forgets their photos checking; a check already claimed then stores nothing", async () => {
    const { core } = setUp();
    const pending = pendingOf(await send(core, await bytesOf()));
    // The worker claimed the photo, then the owner was erased before its check finished.
    const claimed = (await core.deps.uow.transaction((repos) => repos.pendingUploads.claimDue({ now: core.clock.now(), until: new Date(core.clock.now().getTime() + 60_000), limit: 1 })))._unsafeUnwrap();
    (await eraseOwner(core.deps, { ownerId: alice }))._unsafeUnwrap();
    expect(await pendingRows(core)).toEqual([]);
    expect((await checkUpload(core.deps, claimed[0]!))._unsafeUnwrap()).toBe('gone');
    expect(core.store.getBytes(uploadKey(alice, pending.id))).toBeUndefined();
    expect((await storedRows(core)).filter((upload) => upload.id === pending.id)).toEqual([]);
  });

  it('the sweep forgets refused photos a week after they were refused', async () => {
    const { core } = setUp();
    pendingOf(await send(core, await bytesOf(310)));
    await checkDueUploads(core.deps, { limit: 8 });
    core.clock.advance(REFUSED_RETENTION_MS - 1000);
    expect((await sweepExpired(core.deps))._unsafeUnwrap().refusedUploadsPruned).toBe(0);
    core.clock.advance(2000);
    expect((await sweepExpired(core.deps))._unsafeUnwrap().refusedUploadsPruned).toBe(1);
    expect(await pendingRows(core)).toEqual([]);
  });

  it('a refused photo whose staged bytes cannot be deleted is still refused; the failure is logged and the sweep removes the bytes', async () => {
    const { core } = setUp();
    const noFace = pendingOf(await send(core, await bytesOf(310)));
    const key = stagingKey(alice, noFace.id);
    core.store.faults.failNext('delete');
    expect((await checkDueUploads(core.deps, { limit: 8 }))._unsafeUnwrap()).toMatchObject({ refused: 1 });
    expect(await pendingRows(core)).toMatchObject([{ id: noFace.id, status: 'refused' }]);
    expect(core.log.events.filter((e) => e.kind === 'storage.discard_failed')).toEqual([
      { kind: 'storage.discard_failed', detail: { key, code: 'storage.unavailable', detail: 'injected delete fault' } },
    ]);
    expect(core.store.keys()).toContain(key);
    core.clock.advance(STAGING_EXPIRY_MS + 1000);
    expect((await sweepExpired(core.deps))._unsafeUnwrap().stagingObjectsRemoved).toBe(1);
    expect(core.store.keys()).not.toContain(key);
  });
});

describe('receiving a photo to check after the answer: races and failures', () => {
  async function openSlots(core: MemoryCore): Promise<readonly Date[]> {
    return (await core.deps.uow.transaction((repos) => repos.uploadSlots.listOpenExpiries(alice, core.clock.now())))._unsafeUnwrap();
  }

  async function stagedSlot(core: MemoryCore, bytes: Uint8Array) {
    const slot = (await createUploadSlot(core.deps, { ownerId: alice, byteSize: bytes.byteLength }))._unsafeUnwrap();
    core.store.putSigned(slot.url, bytes)._unsafeUnwrap();
    return slot;
  }

  it('two sends of the same bytes racing answer one photo checking and keep one staged copy', async () => {
    const { core } = setUp();
    const bytes = await bytesOf();
    const answers = await Promise.all([send(core, bytes), send(core, bytes)]);
    const [first, second] = answers.map(pendingOf);
    expect(second!.id).toBe(first!.id);
    expect(answers.map((answer) => answer.duplicate).sort()).toEqual([false, true]);
    expect((await pendingRows(core)).map((row) => row.id)).toEqual([first!.id]);
    expect(core.store.keys()).toEqual([stagingKey(alice, first!.id)]);
  });

  it('a storage failure staging the bytes answers a retryable storage.unavailable and records nothing', async () => {
    const { core } = setUp();
    core.store.faults.failNext('put');
    expect((await acceptUpload(core.deps, { ownerId: alice, body: streamOf(await bytesOf()) }))._unsafeUnwrapErr()).toMatchObject({
      code: 'storage.unavailable',
      transient: true,
    });
    expect(await pendingRows(core)).toEqual([]);
    expect(core.store.keys()).toEqual([]);
  });

  it('the direct way: an id that is not one answers upload.not_found', async () => {
    const { core } = setUp();
    expect((await acceptStagedUpload(core.deps, { ownerId: alice, uploadId: '../uploads/x' }))._unsafeUnwrapErr()).toMatchObject({
      code: 'upload.not_found',
      detail: 'malformed upload id',
    });
  });

  it('the direct way: completing while the PUT is in flight answers upload.not_found, deletes nothing and keeps the slot, so the PUT can be completed', async () => {
    const { core } = setUp();
    const bytes = await bytesOf();
    const slot = (await createUploadSlot(core.deps, { ownerId: alice, byteSize: bytes.byteLength }))._unsafeUnwrap();
    const early = await acceptStagedUpload({ ...core.deps, objects: putLandsAfterRead(core, slot.url, bytes) }, { ownerId: alice, uploadId: slot.uploadId });
    expect(early._unsafeUnwrapErr()).toMatchObject({ code: 'upload.not_found', detail: `nothing at ${stagingKey(alice, slot.uploadId)}` });
    expect(await openSlots(core)).toHaveLength(1);
    expect(core.store.keys()).toEqual([stagingKey(alice, slot.uploadId)]);
    expect(pendingOf((await acceptStagedUpload(core.deps, { ownerId: alice, uploadId: slot.uploadId }))._unsafeUnwrap()).id).toBe(slot.uploadId);
  });

  it('the direct way: a refused object is discarded and its slot freed', async () => {
    const { core } = setUp();
    const slot = (await createUploadSlot(core.deps, { ownerId: alice, byteSize: 1234 }))._unsafeUnwrap();
    core.store.setBytes(stagingKey(alice, slot.uploadId), new Uint8Array(0));
    expect(errorCode(await acceptStagedUpload(core.deps, { ownerId: alice, uploadId: slot.uploadId }))).toBe('upload.corrupt');
    expect(core.store.keys()).toEqual([]);
    expect(await openSlots(core)).toEqual([]);
    expect(await pendingRows(core)).toEqual([]);
  });

  it('the direct way: a storage failure reading keeps the staged bytes and the slot for a retry', async () => {
    const { core } = setUp();
    const slot = await stagedSlot(core, await bytesOf());
    core.store.faults.failNext('read');
    expect(errorCode(await acceptStagedUpload(core.deps, { ownerId: alice, uploadId: slot.uploadId }))).toBe('storage.unavailable');
    expect(core.store.keys()).toEqual([stagingKey(alice, slot.uploadId)]);
    expect(await openSlots(core)).toHaveLength(1);
    expect(pendingOf((await acceptStagedUpload(core.deps, { ownerId: alice, uploadId: slot.uploadId }))._unsafeUnwrap()).id).toBe(slot.uploadId);
    expect(await openSlots(core)).toEqual([]);
  });

  it('the direct way: bytes the owner already sent answer that photo, and the staged copy and slot go', async () => {
    const { core } = setUp();
    const bytes = await bytesOf();
    const first = pendingOf(await send(core, bytes));
    const slot = await stagedSlot(core, bytes);
    expect((await acceptStagedUpload(core.deps, { ownerId: alice, uploadId: slot.uploadId }))._unsafeUnwrap()).toEqual({
      kind: 'pending',
      duplicate: true,
      pending: first,
    });
    expect(core.store.keys()).toEqual([stagingKey(alice, first.id)]);
    expect(await openSlots(core)).toEqual([]);
  });
});

describe('photos judged before the answer (the default)', () => {
  it('both ways in store the photo at once', async () => {
    const core = memoryCore();
    const sent = (await acceptUpload(core.deps, { ownerId: alice, body: streamOf(await bytesOf()) }))._unsafeUnwrap();
    expect(sent).toMatchObject({ kind: 'stored', duplicate: false, upload: { status: 'stored' } });
    const bytes = await bytesOf();
    const slot = (await createUploadSlot(core.deps, { ownerId: alice, byteSize: bytes.byteLength }))._unsafeUnwrap();
    core.store.putSigned(slot.url, bytes)._unsafeUnwrap();
    const completed = (await acceptStagedUpload(core.deps, { ownerId: alice, uploadId: slot.uploadId }))._unsafeUnwrap();
    expect(completed).toMatchObject({ kind: 'stored', duplicate: false, upload: { id: slot.uploadId, status: 'stored' } });
    expect(await storedRows(core)).toHaveLength(2);
    expect(await pendingRows(core)).toEqual([]);
  });
});

describe("checking received photos: verdicts and the worker's turn", () => {
  it('the same picture in other bytes as a stored photo is refused as a duplicate, and none of its bytes are kept', async () => {
    const { core } = setUp();
    const bytes = await bytesOf();
    const first = pendingOf(await send(core, bytes));
    expect((await checkDueUploads(core.deps, { limit: 8 }))._unsafeUnwrap()).toEqual({ stored: 1, refused: 0, deferred: 0, gone: 0 });
    // Stored under its own id, it leaves no pending row behind (the owner's export would show it).
    expect((await exportOwnerData(core.deps, { ownerId: alice }))._unsafeUnwrap().pendingUploads).toEqual([]);

    const variant = pendingOf(await send(core, withJpegComment(bytes, 'taken on holiday')));
    expect(variant.id).not.toBe(first.id);
    expect((await checkDueUploads(core.deps, { limit: 8 }))._unsafeUnwrap()).toEqual({ stored: 0, refused: 1, deferred: 0, gone: 0 });
    expect((await pendingRows(core)).map((row) => [row.id, row.status, row.refusal?.code])).toEqual([[variant.id, 'refused', 'upload.duplicate']]);
    expect((await storedRows(core)).map((upload) => upload.id)).toEqual([first.id]);
    expect(core.store.keys()).toEqual([uploadKey(alice, first.id)]);
  });

  it('a photo whose staged bytes are gone is refused as not found', async () => {
    const { core } = setUp();
    const pending = pendingOf(await send(core, await bytesOf()));
    (await core.deps.objects.delete(stagingKey(alice, pending.id)))._unsafeUnwrap();
    expect((await checkDueUploads(core.deps, { limit: 8 }))._unsafeUnwrap()).toMatchObject({ refused: 1 });
    expect((await pendingRows(core))[0]).toMatchObject({ id: pending.id, status: 'refused', refusal: { code: 'upload.not_found' } });
  });

  it('a check whose row changed meanwhile is reported gone and logged, and its hold keeps other workers off it until it passes', async () => {
    const { core, faces } = setUp();
    const pending = pendingOf(await send(core, await bytesOf()));
    faces.unavailable = true;
    const changed = domainError('persistence.conflict', 'changed meanwhile');
    const racing = withRepositories(core.deps.uow, (repos) => ({ ...repos, pendingUploads: { ...repos.pendingUploads, update: () => errAsync(changed) } }));
    expect((await checkDueUploads({ ...core.deps, uow: racing }, { limit: 8 }))._unsafeUnwrap()).toEqual({ stored: 0, refused: 0, deferred: 0, gone: 1 });
    expect(core.log.events.filter((event) => event.kind.startsWith('upload.'))).toEqual([
      { kind: 'upload.check_unsettled', detail: { uploadId: pending.id, code: 'persistence.conflict', cause: 'upload.checks_unavailable' } },
    ]);

    faces.unavailable = false;
    core.clock.advance(CHECK_HOLD_MS - 1);
    expect((await checkDueUploads(core.deps, { limit: 8 }))._unsafeUnwrap()).toMatchObject({ stored: 0 });
    core.clock.advance(1);
    expect((await checkDueUploads(core.deps, { limit: 8 }))._unsafeUnwrap()).toMatchObject({ stored: 1 });
  });

  it('checks atOnce photos at the same time', async () => {
    let inFlight = 0;
    let most = 0;
    const waiting: (() => void)[] = [];
    const slow: FaceInspector = {
      inspect: (p) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        // Held until another check overlaps this one (or 2 s pass, when checks run one by one).
        const held = most > 1 ? Promise.resolve() : new Promise<void>((resolve) => { waiting.push(resolve); setTimeout(resolve, 2000); });
        for (const release of most > 1 ? waiting.splice(0) : []) release();
        return ResultAsync.fromSafePromise(held).map(() => {
          inFlight -= 1;
          return oneFace(p, 0);
        });
      },
    };
    const core = createMemoryCore({ config: { minPhotos: 2, checkPhotosAfterAnswer: true }, faces: slow });
    for (let i = 0; i < 3; i += 1) pendingOf(await send(core, await bytesOf()));
    expect((await checkDueUploads(core.deps, { limit: 8, atOnce: 3 }))._unsafeUnwrap()).toMatchObject({ stored: 3 });
    expect(most).toBeGreaterThan(1);
  });
});
