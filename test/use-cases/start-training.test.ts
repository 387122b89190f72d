import { describe, expect, it } from 'vitest';
import { okAsync } from 'neverthrow';
import { cancelTraining, deleteUpload, destinationFor, isActive, startTraining, type OwnerId } from '@selfie-lora/core';
import { defaultCoreConfig, type MemoryCore } from '@selfie-lora/adapters/memory';
import {
  alice,
  bob,
  errorCode,
  expectUnchanged,
  memoryCore,
  startedPipeline,
  storedState,
  uploadPhotos,
} from '../support/memory-core-fixtures.js';
import { withRepositories } from '../support/rewritten-repositories.js';

function activePipelines(core: MemoryCore, ownerId: OwnerId) {
  return core.db.snapshot().pipelines.filter((p) => p.ownerId === ownerId && isActive(p));
}

describe('startTraining: the training set', () => {
  it('trains on exactly the owner’s stored photos, for the owner’s destination', async () => {
    const core = memoryCore();
    await uploadPhotos(core, bob, [90, 91, 92]);
    const mine = await uploadPhotos(core, alice, [1, 2, 3, 4]);
    (await deleteUpload(core.deps, { ownerId: alice, uploadId: mine[1]!.id }))._unsafeUnwrap();

    const started = (await startTraining(core.deps, { ownerId: alice }))._unsafeUnwrap();
    expect(started.created).toBe(true);
    const { pipeline } = started;
    expect(pipeline).toMatchObject({ ownerId: alice, status: 'queued', triggerWord: 'TOK', restartOf: null, idempotencyKey: null });
    expect(pipeline.trainingSet.items).toEqual(
      [mine[0]!, mine[2]!, mine[3]!].map((u) => ({ uploadId: u.id, sha256: u.sha256, byteSize: u.byteSize, contentType: u.contentType })),
    );
    expect(pipeline.destination).toEqual(destinationFor(defaultCoreConfig.destinationStrategy, alice));
    expect(core.db.snapshot().pipelines).toEqual([pipeline]);
  });

  it('refuses with training.not_enough_photos below the minimum, counting only stored photos of this owner', async () => {
    const core = memoryCore({ minPhotos: 3 });
    await uploadPhotos(core, bob, [90, 91, 92]);
    const mine = await uploadPhotos(core, alice, [1, 2, 3]);
    (await deleteUpload(core.deps, { ownerId: alice, uploadId: mine[0]!.id }))._unsafeUnwrap();
    const before = storedState(core);
    expect(errorCode(await startTraining(core.deps, { ownerId: alice }))).toBe('training.not_enough_photos');
    expectUnchanged(core, before);
  });

  it('never trains on zero photos, even when configured with minPhotos 0', async () => {
    const core = memoryCore({ minPhotos: 0 });
    await uploadPhotos(core, bob, [90]);
    const before = storedState(core);
    expect(errorCode(await startTraining(core.deps, { ownerId: alice }))).toBe('training.not_enough_photos');
    expectUnchanged(core, before);
  });

  it('keeps a valid trigger word', async () => {
    const core = memoryCore();
    await uploadPhotos(core, alice, [1, 2, 3]);
    const started = (await startTraining(core.deps, { ownerId: alice, triggerWord: 'ALICE_2-x' }))._unsafeUnwrap();
    expect(started.pipeline.triggerWord).toBe('ALICE_2-x');
  });

  it.each(['', 'two words', 'x'.repeat(33), 'ünïcode', 'tok;drop'])('refuses trigger word %j', async (triggerWord) => {
    const core = memoryCore();
    await uploadPhotos(core, alice, [1, 2, 3]);
    const before = storedState(core);
    expect(errorCode(await startTraining(core.deps, { ownerId: alice, triggerWord }))).toBe('training.invalid_trigger_word');
    expectUnchanged(core, before);
  });

  it.each(['', 'has space', 'k'.repeat(129), 'clé', 'tab\tkey'])('refuses idempotency key %j', async (idempotencyKey) => {
    const core = memoryCore();
    await uploadPhotos(core, alice, [1, 2, 3]);
    const before = storedState(core);
    expect(errorCode(await startTraining(core.deps, { ownerId: alice, idempotencyKey }))).toBe('training.invalid_idempotency_key');
    expectUnchanged(core, before);
  });
});

describe('startTraining: one active pipeline per owner', () => {
  it('refuses a second start while one is active', async () => {
    const core = memoryCore();
    await startedPipeline(core, alice, [1, 2, 3]);
    const before = storedState(core);
    expect(errorCode(await startTraining(core.deps, { ownerId: alice }))).toBe('training.already_active');
    expectUnchanged(core, before);
    expect(activePipelines(core, alice)).toHaveLength(1);
  });

  it('of two concurrent starts exactly one succeeds', async () => {
    const core = memoryCore();
    await uploadPhotos(core, alice, [1, 2, 3]);
    const results = await Promise.all([1, 2, 3, 4].map(() => startTraining(core.deps, { ownerId: alice })));
    expect(results.filter((r) => r.isOk())).toHaveLength(1);
    expect(results.filter((r) => r.isErr()).map((r) => errorCode(r))).toEqual(Array(3).fill('training.already_active'));
    expect(core.db.snapshot().pipelines).toHaveLength(1);
    expect(activePipelines(core, alice)).toHaveLength(1);
  });

  it('one owner’s active pipeline does not block another owner', async () => {
    const core = memoryCore();
    await uploadPhotos(core, alice, [1, 2, 3]);
    await uploadPhotos(core, bob, [4, 5, 6]);
    const [a, b] = await Promise.all([startTraining(core.deps, { ownerId: alice }), startTraining(core.deps, { ownerId: bob })]);
    expect(a._unsafeUnwrap().pipeline.ownerId).toBe(alice);
    expect(b._unsafeUnwrap().pipeline.ownerId).toBe(bob);
  });
});

describe('startTraining: Idempotency-Key', () => {
  it('a repeated key returns the same pipeline with created:false and changes nothing', async () => {
    const core = memoryCore();
    await uploadPhotos(core, alice, [1, 2, 3]);
    const first = (await startTraining(core.deps, { ownerId: alice, idempotencyKey: 'req-1' }))._unsafeUnwrap();
    const before = storedState(core);
    const again = (await startTraining(core.deps, { ownerId: alice, idempotencyKey: 'req-1', triggerWord: 'OTHER' }))._unsafeUnwrap();
    expect(again).toEqual({ pipeline: first.pipeline, created: false });
    expectUnchanged(core, before);
  });

  it('concurrent requests with the same key make one pipeline and both get it', async () => {
    const core = memoryCore();
    await uploadPhotos(core, alice, [1, 2, 3]);
    const results = await Promise.all([1, 2, 3].map(() => startTraining(core.deps, { ownerId: alice, idempotencyKey: 'same' })));
    const started = results.map((r) => r._unsafeUnwrap());
    expect(new Set(started.map((s) => s.pipeline.id)).size).toBe(1);
    expect(started.map((s) => s.created).sort()).toEqual([false, false, true]);
    expect(core.db.snapshot().pipelines).toHaveLength(1);
  });

  it('a new key while a pipeline is active is refused as already active', async () => {
    const core = memoryCore();
    await uploadPhotos(core, alice, [1, 2, 3]);
    (await startTraining(core.deps, { ownerId: alice, idempotencyKey: 'one' }))._unsafeUnwrap();
    expect(errorCode(await startTraining(core.deps, { ownerId: alice, idempotencyKey: 'two' }))).toBe('training.already_active');
  });

  it('keys are per owner: the same key from another owner starts that owner’s own pipeline', async () => {
    const core = memoryCore();
    await uploadPhotos(core, alice, [1, 2, 3]);
    await uploadPhotos(core, bob, [4, 5, 6]);
    const mine = (await startTraining(core.deps, { ownerId: alice, idempotencyKey: 'k' }))._unsafeUnwrap();
    const theirs = (await startTraining(core.deps, { ownerId: bob, idempotencyKey: 'k' }))._unsafeUnwrap();
    expect(theirs.created).toBe(true);
    expect(theirs.pipeline.id).not.toBe(mine.pipeline.id);
    expect(theirs.pipeline.ownerId).toBe(bob);
    expect(theirs.pipeline.trainingSet.items.every((i) => !mine.pipeline.trainingSet.items.some((m) => m.uploadId === i.uploadId))).toBe(true);
  });

  // In Postgres a repeat of the request can commit after this one read the key and before it
  // checked for an active pipeline or inserted (the memory database runs transactions one at a
  // time, so the stale reads are staged here). Either way it is the same request: answer it.
  it.each([
    ['after the key lookup, so the active check sees it', ['findByIdempotencyKey']],
    ['after the active check, so the insert conflicts', ['findByIdempotencyKey', 'findActive']],
  ] as const)('a repeat of the same key that commits %s returns that pipeline', async (_, stale) => {
    const core = memoryCore();
    await uploadPhotos(core, alice, [1, 2, 3]);
    const first = (await startTraining(core.deps, { ownerId: alice, idempotencyKey: 'same' }))._unsafeUnwrap();
    const before = storedState(core);
    let staleReads = 1;
    const racing = withRepositories(core.deps.uow, (repos) => {
      const unseen = staleReads-- > 0;
      const pipelines = { ...repos.pipelines };
      if (unseen) for (const read of stale) pipelines[read] = () => okAsync(null);
      return { ...repos, pipelines };
    });
    const again = (await startTraining({ ...core.deps, uow: racing }, { ownerId: alice, idempotencyKey: 'same' }))._unsafeUnwrap();
    expect(staleReads).toBe(-1);
    expect(again).toEqual({ pipeline: first.pipeline, created: false });
    expectUnchanged(core, before);
  });

  it('a different key that loses the same race is refused as already active', async () => {
    const core = memoryCore();
    await uploadPhotos(core, alice, [1, 2, 3]);
    (await startTraining(core.deps, { ownerId: alice, idempotencyKey: 'one' }))._unsafeUnwrap();
    const before = storedState(core);
    let staleReads = 1;
    const racing = withRepositories(core.deps.uow, (repos) => ({
      ...repos,
      pipelines: { ...repos.pipelines, findActive: (ownerId) => (staleReads-- > 0 ? okAsync(null) : repos.pipelines.findActive(ownerId)) },
    }));
    expect(errorCode(await startTraining({ ...core.deps, uow: racing }, { ownerId: alice, idempotencyKey: 'two' }))).toBe('training.already_active');
    expectUnchanged(core, before);
  });
});

describe('startTraining: what a refusal says, the daily quota, a key whose training ended', () => {
  it('quotes at most the first 40 characters of a refused trigger word', async () => {
    const core = memoryCore();
    await uploadPhotos(core, alice, [1, 2, 3]);
    const long = `${'a'.repeat(40)} and more`;
    const refused = (await startTraining(core.deps, { ownerId: alice, triggerWord: long }))._unsafeUnwrapErr();
    expect(refused).toMatchObject({ code: 'training.invalid_trigger_word', detail: `"${'a'.repeat(40)}"` });
  });

  it('a second start names the pipeline already active and where it stands', async () => {
    const core = memoryCore();
    await uploadPhotos(core, alice, [1, 2, 3]);
    const first = (await startTraining(core.deps, { ownerId: alice }))._unsafeUnwrap().pipeline;
    const refused = (await startTraining(core.deps, { ownerId: alice }))._unsafeUnwrapErr();
    expect(refused).toMatchObject({ code: 'training.already_active', detail: `pipeline ${first.id} is queued` });
  });

  it('counts the trainings of the last 24 hours against the daily quota, canceled ones too, and says when to retry', async () => {
    const core = memoryCore({ quotas: { trainingsPerDay: 1, maxStoredPhotos: 100, maxStoredBytes: 1e9, maxOpenSlots: 10 } });
    await uploadPhotos(core, alice, [1, 2, 3]);
    const first = (await startTraining(core.deps, { ownerId: alice }))._unsafeUnwrap().pipeline;
    (await cancelTraining(core.deps, { ownerId: alice, pipelineId: first.id }))._unsafeUnwrap();
    core.clock.advance(60 * 60_000);
    const before = storedState(core);
    const refused = (await startTraining(core.deps, { ownerId: alice }))._unsafeUnwrapErr();
    expect(refused).toMatchObject({ code: 'quota.trainings_per_day', retryAfterSeconds: 23 * 3600 });
    expectUnchanged(core, before);
    core.clock.advance(23 * 3600_000 + 1);
    expect((await startTraining(core.deps, { ownerId: alice }))._unsafeUnwrap().created).toBe(true);
    // Another owner's trainings are not counted against alice, nor hers against them.
    await uploadPhotos(core, bob, [4, 5, 6]);
    expect((await startTraining(core.deps, { ownerId: bob }))._unsafeUnwrap().created).toBe(true);
  });

  it('a repeated key answers its training even once it ended, and starts nothing new', async () => {
    const core = memoryCore();
    await uploadPhotos(core, alice, [1, 2, 3]);
    const first = (await startTraining(core.deps, { ownerId: alice, idempotencyKey: 'req-1' }))._unsafeUnwrap().pipeline;
    const canceled = (await cancelTraining(core.deps, { ownerId: alice, pipelineId: first.id }))._unsafeUnwrap();
    const again = (await startTraining(core.deps, { ownerId: alice, idempotencyKey: 'req-1' }))._unsafeUnwrap();
    expect(again).toEqual({ pipeline: canceled, created: false });
    expect(core.db.snapshot().pipelines).toHaveLength(1);
  });
});
