import { describe, expect, it } from 'vitest';
import { okAsync } from 'neverthrow';
import type { MemoryCore } from '@selfie-lora/adapters/memory';
import {
  advancePipeline,
  cancelTraining,
  carryOutDueErasures,
  destinationFor,
  destinationRef,
  ownerObjectPrefixes,
  requestErasure,
  type CoreDeps,
  type ErasureTarget,
  type OwnerId,
} from '@selfie-lora/core';
import { advanceTo, alice, memoryCore, pipelineAtTrainer, trainingFor } from '../support/memory-core-fixtures.js';
import { portLike } from '../support/port-like.js';

// The worker's part of an erasure (issue 12): each due erasure tried once and its outcome recorded
// and logged, a trainer model waited for while a training of the owner may still write to it.

/** Records an erasure owed now (no hold), as a use case records one. */
async function owe(c: MemoryCore, ownerId: OwnerId, target: ErasureTarget): Promise<void> {
  const erasure = requestErasure({ ownerId, target, reason: 'owner_erased', now: c.clock.now(), holdMs: 0 });
  (await c.deps.uow.transaction((repos) => repos.erasures.request(erasure)))._unsafeUnwrap();
}

const round = async (deps: CoreDeps) => (await carryOutDueErasures(deps, { limit: 10 }))._unsafeUnwrap();

/** Alice's first training succeeded (and was cleaned up); her second waits at the trainer. */
async function trainedAndTraining(c: MemoryCore) {
  const first = await pipelineAtTrainer(c, alice, [1, 2, 3]);
  c.trainer.finish(trainingFor(c, first.pipeline.id).id, 'succeeded');
  await advanceTo(c, first.pipeline.id, 'succeeded');
  return (await pipelineAtTrainer(c, alice, [4, 5, 6])).pipeline;
}

describe('carryOutDueErasures', () => {
  it("waits with the owner's trainer model while a training there is running or still being stopped, then deletes it", async () => {
    const c = memoryCore();
    const running = await trainedAndTraining(c);
    const destination = destinationFor(c.deps.config.destinationStrategy, alice);
    await owe(c, alice, { kind: 'trainer_model', destination });
    const waiting = `erasure.waiting: a training at ${destinationRef(destination)} is still being stopped`;

    expect(await round(c.deps)).toEqual({ done: 0, refused: 0, retried: 1 });
    const [owed] = c.db.erasureRows();
    expect(owed).toMatchObject({ state: 'pending', attempt: 1, lastError: waiting });
    expect(c.log.events.filter((e) => e.kind.startsWith('erasure.'))).toEqual([
      {
        kind: 'erasure.retry',
        detail: { ownerId: alice, target: { kind: 'trainer_model', destination }, code: 'erasure.waiting', detail: waiting.slice('erasure.waiting: '.length), attempt: 1, notBefore: owed!.notBefore },
      },
    ]);

    // Canceled, but the trainer cannot be reached to stop it: its clean-up is still owed.
    c.trainer.faults.failNext('cancel');
    (await cancelTraining(c.deps, { ownerId: alice, pipelineId: running.id }))._unsafeUnwrap();
    c.clock.advance(3_600_000);
    expect(await round(c.deps)).toEqual({ done: 0, refused: 0, retried: 1 });
    expect((await c.trainer.listVersions(destination))._unsafeUnwrap()).toHaveLength(1);

    // The worker's clean-up stops it at the trainer; the erasure then goes ahead.
    expect((await advancePipeline(c.deps, running.id))._unsafeUnwrap().progressed).toBe(true);
    expect(trainingFor(c, running.id).status).toBe('canceled');
    c.clock.advance(3_600_000);
    expect(await round(c.deps)).toEqual({ done: 1, refused: 0, retried: 0 });
    expect((await c.trainer.listVersions(destination))._unsafeUnwrap()).toEqual([]);
    expect(c.trainer.destinations.has(destinationRef(destination))).toBe(false);
  });

  it('a version the trainer will not delete is refused: final, logged as refused, counted apart', async () => {
    const c = memoryCore();
    const { pipeline } = await pipelineAtTrainer(c, alice, [1, 2, 3]);
    c.trainer.finish(trainingFor(c, pipeline.id).id, 'succeeded');
    await advanceTo(c, pipeline.id, 'succeeded');
    const destination = destinationFor(c.deps.config.destinationStrategy, alice);
    const [version] = (await c.trainer.listVersions(destination))._unsafeUnwrap();
    c.trainer.protectVersion(version!.version);
    await owe(c, alice, { kind: 'trainer_model', destination });

    expect(await round(c.deps)).toEqual({ done: 0, refused: 1, retried: 0 });
    const refusal = `version ${version!.version}: someone else has run it`;
    expect(c.db.erasureRows()).toMatchObject([{ state: 'refused', attempt: 0, notBefore: null, lastError: `trainer.deletion_refused: ${refusal}` }]);
    expect(c.log.events.filter((e) => e.kind.startsWith('erasure.'))).toEqual([
      {
        kind: 'erasure.refused',
        detail: { ownerId: alice, target: { kind: 'trainer_model', destination }, code: 'trainer.deletion_refused', detail: refusal, attempt: 0, notBefore: null },
      },
    ]);
  });

  it('objects that keep appearing under a prefix fail the try after a bounded number of rounds; the erasure stays owed', async () => {
    const c = memoryCore();
    const [prefix] = ownerObjectPrefixes(alice);
    const key = `${prefix!}left-behind`;
    c.store.setBytes(key, new Uint8Array([1, 2, 3]));
    await owe(c, alice, { kind: 'objects', prefix: prefix! });
    // A store whose deletes answer Ok but the object is back at the next listing, 25 times over.
    let deletes = 0;
    const objects = portLike(c.store, {
      delete: (deleted: string) => {
        deletes += 1;
        return deletes <= 25 ? okAsync(undefined) : c.store.delete(deleted);
      },
    });

    expect(await round({ ...c.deps, objects })).toEqual({ done: 0, refused: 0, retried: 1 });
    expect(deletes).toBe(20);
    expect(c.db.erasureRows()).toMatchObject([{ state: 'pending', lastError: `storage.unavailable: objects keep appearing under ${prefix!}` }]);
    expect(c.store.keys()).toEqual([key]);

    c.clock.advance(3_600_000);
    expect(await round(c.deps)).toEqual({ done: 1, refused: 0, retried: 0 });
    expect(c.store.keys()).toEqual([]);
  });

  it('two workers at once carry out each due erasure once: the first one holds what it took', async () => {
    const c = memoryCore();
    for (const prefix of ownerObjectPrefixes(alice)) {
      c.store.setBytes(`${prefix}photo`, new Uint8Array([7]));
      await owe(c, alice, { kind: 'objects', prefix });
    }
    const rounds = await Promise.all([carryOutDueErasures(c.deps, { limit: 10 }), carryOutDueErasures(c.deps, { limit: 10 })]);
    expect(rounds.map((r) => r._unsafeUnwrap())).toEqual([
      { done: 3, refused: 0, retried: 0 },
      { done: 0, refused: 0, retried: 0 },
    ]);
    expect(c.store.keys()).toEqual([]);
  });
});
