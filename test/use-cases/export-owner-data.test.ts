import { describe, expect, it } from 'vitest';
import { createMemoryCore, type MemoryCore } from '@selfie-lora/adapters';
import { deleteUpload, eraseOwner, exportOwnerData } from '@selfie-lora/core';
import { advanceTo, alice, bob, owner, ownersState, startedPipeline, trainingFor } from '../support/memory-core-fixtures.js';

// The owner's export (issue 12): every row held about them, and nothing of anyone else's.

/** Alice and Bob each trained a model; Alice has a second training running and deleted a photo. */
async function world(): Promise<MemoryCore> {
  const c = createMemoryCore({ config: { minPhotos: 3 } });
  for (const [who, seeds] of [[alice, [1, 2, 3]], [bob, [7, 8, 9]]] as const) {
    const { pipeline } = await startedPipeline(c, who, [...seeds]);
    await advanceTo(c, pipeline.id, 'training');
    c.trainer.finish(trainingFor(c, pipeline.id).id, 'succeeded');
    await advanceTo(c, pipeline.id, 'succeeded');
  }
  const { pipeline, uploads } = await startedPipeline(c, alice, [4, 5, 6]);
  await advanceTo(c, pipeline.id, 'packaging');
  (await deleteUpload(c.deps, { ownerId: alice, uploadId: uploads[0]!.id }))._unsafeUnwrap();
  return c;
}

describe('exportOwnerData', () => {
  it("holds exactly the owner's rows (deleted uploads, ended trainings, models, erasures) and none of another owner's", async () => {
    const c = await world();
    const data = (await exportOwnerData(c.deps, { ownerId: alice }))._unsafeUnwrap();
    const held = ownersState(c, alice).rows;
    expect(data.uploads).toEqual(expect.arrayContaining(held.uploads));
    expect(data.uploads).toHaveLength(6);
    expect(data.uploads.filter((u) => u.status === 'deleted')).toHaveLength(1);
    expect([...data.trainings].sort((a, b) => a.id.localeCompare(b.id))).toEqual([...held.pipelines].sort((a, b) => a.id.localeCompare(b.id)));
    expect(data.trainings.map((p) => p.status).sort()).toEqual(['canceled', 'succeeded']);
    expect(data.models).toEqual(held.models);
    expect(data.erasures.map((e) => [e.target.kind, e.reason, e.state])).toEqual([['object', 'upload_deleted', 'done']]);
    expect(data.exportedAt).toEqual(c.clock.now());

    const everything = JSON.stringify(data);
    for (const row of [...ownersState(c, bob).rows.uploads, ...ownersState(c, bob).rows.pipelines, ...ownersState(c, bob).rows.models]) {
      expect(everything).not.toContain(row.id);
    }
    expect(everything).not.toContain(`"${bob}"`);
  });

  it('after an erasure, shows the erasures and the rows that stay', async () => {
    const c = await world();
    (await eraseOwner(c.deps, { ownerId: alice }))._unsafeUnwrap();
    const data = (await exportOwnerData(c.deps, { ownerId: alice }))._unsafeUnwrap();
    expect(data.uploads.every((u) => u.status === 'deleted')).toBe(true);
    expect(data.models.map((m) => m.status)).toEqual(['erased']);
    expect(data.erasures.filter((e) => e.reason === 'owner_erased').map((e) => [e.target.kind, e.state])).toEqual([
      ['objects', 'done'],
      ['objects', 'done'],
      ['objects', 'done'],
      ['trainer_model', 'done'],
    ]);
  });

  it('is empty for an owner the service never saw', async () => {
    const c = await world();
    const nobody = (await exportOwnerData(c.deps, { ownerId: owner('carol') }))._unsafeUnwrap();
    expect([nobody.uploads, nobody.trainings, nobody.models, nobody.erasures]).toEqual([[], [], [], []]);
  });
});
