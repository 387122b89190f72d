import { errAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import type { MemoryCore } from '@selfie-lora/adapters/memory';
import {
  acceptUpload,
  checkDueUploads,
  createUploadSlot,
  REFUSED_RETENTION_MS,
  stagingKey,
  STAGING_EXPIRY_MS,
  sweepExpired,
  transientError,
  uploadKey,
  UPLOAD_SLOT_TTL_SECONDS,
  WEBHOOK_DELIVERY_RETENTION_MS,
  type Repositories,
  type UploadId,
} from '@selfie-lora/core';
import { streamOf } from '@selfie-lora/testkit/photos';
import { alice, memoryCore, uploadPhoto } from '../support/memory-core-fixtures.js';
import { withRepositories } from '../support/rewritten-repositories.js';

// The worker's housekeeping (issue 15) over the memory adapters: what each part forgets, when,
// and what the operator reads in the log (`sweep.done` when anything went, `sweep.failed` per part).

const nothing = { webhookDeliveriesPruned: 0, uploadSlotsPruned: 0, refusedUploadsPruned: 0, stagingObjectsRemoved: 0 };
const staged = (name: string) => stagingKey(alice, name as UploadId);

async function recordDelivery(core: MemoryCore, id: string): Promise<void> {
  expect((await core.deps.uow.transaction((repos) => repos.webhookDeliveries.recordOnce(id, core.clock.now())))._unsafeUnwrap()).toBe(true);
}

/** One photo of alice refused by its check (text is no photo); its reason is kept, its bytes are not. */
async function refusedPhoto(core: MemoryCore): Promise<void> {
  (await acceptUpload(core.deps, { ownerId: alice, body: streamOf(new TextEncoder().encode('not a photo at all')) }))._unsafeUnwrap();
  expect((await checkDueUploads(core.deps, { limit: 1 }))._unsafeUnwrap()).toMatchObject({ refused: 1 });
}

function sweepLog(core: MemoryCore) {
  return core.log.events.filter((event) => event.kind.startsWith('sweep.'));
}

describe('sweepExpired: what goes and when', () => {
  it('forgets a webhook delivery only once it is older than its retention', async () => {
    const core = memoryCore();
    await recordDelivery(core, 'msg_1');
    expect((await sweepExpired(core.deps))._unsafeUnwrap()).toEqual(nothing);
    core.clock.advance(WEBHOOK_DELIVERY_RETENTION_MS - 1);
    expect((await sweepExpired(core.deps))._unsafeUnwrap()).toEqual(nothing);
    core.clock.advance(2);
    expect((await sweepExpired(core.deps))._unsafeUnwrap()).toEqual({ ...nothing, webhookDeliveriesPruned: 1 });
    expect((await core.deps.uow.transaction((r) => r.webhookDeliveries.seen('msg_1')))._unsafeUnwrap()).toBe(false);
  });

  it('removes staging objects only past the slot lifetime and its margin, and never a stored photo', async () => {
    const core = memoryCore();
    const photo = await uploadPhoto(core, alice, 1);
    const cutoff = core.clock.now().getTime() - STAGING_EXPIRY_MS;
    core.store.setBytes(staged('old'), new Uint8Array([1]), { lastModified: new Date(cutoff - 1) });
    core.store.setBytes(staged('older'), new Uint8Array([2]), { lastModified: new Date(cutoff - 60_000) });
    core.store.setBytes(staged('at-the-cutoff'), new Uint8Array([3]), { lastModified: new Date(cutoff) });
    core.store.setBytes(staged('fresh'), new Uint8Array([4]));
    // A stored photo as old as the abandoned objects is not the sweep's to remove.
    core.store.setLastModified(uploadKey(alice, photo.id), new Date(cutoff - 60_000));

    expect((await sweepExpired(core.deps))._unsafeUnwrap()).toEqual({ ...nothing, stagingObjectsRemoved: 2 });
    expect(core.store.keys()).toEqual([staged('at-the-cutoff'), staged('fresh'), uploadKey(alice, photo.id)].sort());
  });

  it('forgets expired upload slots and refused photos past their retention', async () => {
    const core = memoryCore({ checkPhotosAfterAnswer: true });
    await refusedPhoto(core);
    (await createUploadSlot(core.deps, { ownerId: alice, byteSize: 1000 }))._unsafeUnwrap();
    core.clock.advance(UPLOAD_SLOT_TTL_SECONDS * 1000 + 1);
    expect((await sweepExpired(core.deps))._unsafeUnwrap()).toEqual({ ...nothing, uploadSlotsPruned: 1 });
    core.clock.advance(REFUSED_RETENTION_MS);
    expect((await sweepExpired(core.deps))._unsafeUnwrap()).toEqual({ ...nothing, refusedUploadsPruned: 1 });
  });
});

describe('sweepExpired: what the operator reads', () => {
  it('logs nothing when nothing was due', async () => {
    const core = memoryCore();
    await recordDelivery(core, 'msg_1');
    (await sweepExpired(core.deps))._unsafeUnwrap();
    expect(sweepLog(core)).toEqual([]);
  });

  // One kind at a time: a count of one alone must be enough for the record.
  const alone: [string, (core: MemoryCore) => Promise<void>, Partial<typeof nothing>][] = [
    ['a webhook delivery', async (core) => { await recordDelivery(core, 'msg_1'); core.clock.advance(WEBHOOK_DELIVERY_RETENTION_MS + 1); }, { webhookDeliveriesPruned: 1 }],
    ['an upload slot', async (core) => { (await createUploadSlot(core.deps, { ownerId: alice, byteSize: 1000 }))._unsafeUnwrap(); core.clock.advance(UPLOAD_SLOT_TTL_SECONDS * 1000 + 1); }, { uploadSlotsPruned: 1 }],
    ['a refused photo', async (core) => { await refusedPhoto(core); core.clock.advance(REFUSED_RETENTION_MS + 1); }, { refusedUploadsPruned: 1 }],
    ['a staging object', (core) => { core.store.setBytes(staged('old'), new Uint8Array([1]), { lastModified: new Date(core.clock.now().getTime() - STAGING_EXPIRY_MS - 1) }); return Promise.resolve(); }, { stagingObjectsRemoved: 1 }],
  ];

  it.each(alone)('records sweep.done with the counts when only %s went', async (_, plant, counts) => {
    const core = memoryCore({ checkPhotosAfterAnswer: true });
    await plant(core);
    (await sweepExpired(core.deps))._unsafeUnwrap();
    expect(sweepLog(core)).toEqual([{ kind: 'sweep.done', detail: { ...nothing, ...counts } }]);
  });

  const failingPart: [string, (repos: Repositories) => Repositories][] = [
    ['webhook_deliveries', (repos) => ({ ...repos, webhookDeliveries: { ...repos.webhookDeliveries, pruneReceivedBefore: () => errAsync(down) } })],
    ['upload_slots', (repos) => ({ ...repos, uploadSlots: { ...repos.uploadSlots, pruneExpiredBefore: () => errAsync(down) } })],
    ['refused_uploads', (repos) => ({ ...repos, pendingUploads: { ...repos.pendingUploads, pruneRefusedBefore: () => errAsync(down) } })],
  ];
  const down = transientError('persistence.unavailable', 'injected by the test');

  it.each(failingPart)('a failing %s part is logged as sweep.failed and the other parts still run', async (what, rewrite) => {
    const core = memoryCore({ checkPhotosAfterAnswer: true });
    await recordDelivery(core, 'msg_1');
    (await createUploadSlot(core.deps, { ownerId: alice, byteSize: 1000 }))._unsafeUnwrap();
    await refusedPhoto(core);
    core.store.setBytes(staged('old'), new Uint8Array([1]), { lastModified: new Date(core.clock.now().getTime() - STAGING_EXPIRY_MS - 1) });
    core.clock.advance(REFUSED_RETENTION_MS + 1);

    const report = (await sweepExpired({ ...core.deps, uow: withRepositories(core.deps.uow, rewrite) }))._unsafeUnwrap();
    const failed = { webhook_deliveries: 'webhookDeliveriesPruned', upload_slots: 'uploadSlotsPruned', refused_uploads: 'refusedUploadsPruned' }[what]!;
    const expected = { webhookDeliveriesPruned: 1, uploadSlotsPruned: 1, refusedUploadsPruned: 1, stagingObjectsRemoved: 1, [failed]: 0 };
    expect(report).toEqual(expected);
    expect(sweepLog(core)).toEqual([
      { kind: 'sweep.failed', detail: { what, code: 'persistence.unavailable', detail: 'injected by the test' } },
      { kind: 'sweep.done', detail: expected },
    ]);
  });

  it('a storage failure listing staging objects is logged as sweep.failed and keeps them', async () => {
    const core = memoryCore();
    await recordDelivery(core, 'msg_1');
    core.store.setBytes(staged('old'), new Uint8Array([1]), { lastModified: new Date(core.clock.now().getTime() - STAGING_EXPIRY_MS - 1) });
    core.clock.advance(WEBHOOK_DELIVERY_RETENTION_MS + 1);
    core.store.faults.failNext('list');

    expect((await sweepExpired(core.deps))._unsafeUnwrap()).toEqual({ ...nothing, webhookDeliveriesPruned: 1 });
    expect(core.store.keys()).toEqual([staged('old')]);
    expect(sweepLog(core)).toEqual([
      { kind: 'sweep.failed', detail: { what: 'staging', code: 'storage.unavailable', detail: 'injected list fault' } },
      { kind: 'sweep.done', detail: { ...nothing, webhookDeliveriesPruned: 1 } },
    ]);
  });
});
