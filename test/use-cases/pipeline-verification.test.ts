import { describe, expect, it, vi } from 'vitest';
import { errorMessages, packageKey, runPipeline, uploadKey, type ErrorCode, type PipelineId } from '@selfie-lora/core';
import type { MemoryCore } from '@selfie-lora/adapters/memory';
import { photo } from '@selfie-lora/testkit/photos';
import {
  advanceTo,
  alice,
  bob,
  failureCode,
  memoryCore,
  ownersState,
  packageKeys,
  startedPipeline,
  storedState,
} from '../support/memory-core-fixtures.js';

/** Same length, one byte different in the middle (past the magic bytes). */
function flipped(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes);
  const middle = Math.floor(copy.length / 2);
  copy[middle] = copy[middle]! ^ 0xff;
  return copy;
}

/**
 * Runs the pipeline to its end and checks the failure the user sees: the code, the message
 * written for people (no keys or hashes in it), and that nothing reached the trainer.
 */
async function expectFailedWith(core: MemoryCore, id: PipelineId, code: ErrorCode, step: string) {
  const ended = (await runPipeline(core.deps, id))._unsafeUnwrap();
  expect(ended.status).toBe('failed');
  expect('failure' in ended && ended.failure).toEqual({ step, code, message: errorMessages[code] });
  expect('failure' in ended && ended.failure.message).not.toMatch(/[0-9a-f]{16}|uploads\/|trainings\//);
  expect(core.trainer.trainings.size).toBe(0);
  // An ended pipeline leaves no package behind, whatever step it failed in.
  expect(packageKeys(core)).toEqual([]);
  return ended;
}

describe('verify_uploads: every photo is checked in storage right before packaging', () => {
  it('fails with verify.hash_mismatch when a photo changed but kept its size', async () => {
    const core = memoryCore();
    const { uploads, pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    const key = uploadKey(alice, uploads[1]!.id);
    core.store.setBytes(key, flipped(core.store.getBytes(key)!));
    const before = storedState(core);
    await expectFailedWith(core, pipeline.id, 'verify.hash_mismatch', 'verify_uploads');
    // Only the pipeline row changed: photos and their rows are left as they were.
    const after = storedState(core);
    expect(after.objects).toEqual(before.objects);
    expect(after.rows.uploads).toEqual(before.rows.uploads);
  });

  it('fails with verify.hash_mismatch when a photo was replaced by a non-image of the same size', async () => {
    const core = memoryCore();
    const { uploads, pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    const size = uploads[0]!.byteSize;
    core.store.setBytes(uploadKey(alice, uploads[0]!.id), new TextEncoder().encode('x'.repeat(size)));
    await expectFailedWith(core, pipeline.id, 'verify.hash_mismatch', 'verify_uploads');
  });

  it('fails with verify.size_mismatch when a photo was replaced by another photo', async () => {
    const core = memoryCore();
    const { uploads, pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    core.store.setBytes(uploadKey(alice, uploads[2]!.id), await photo(99, { width: 400, height: 400 }));
    await expectFailedWith(core, pipeline.id, 'verify.size_mismatch', 'verify_uploads');
  });

  it("fails when a photo was replaced by another owner's photo", async () => {
    const core = memoryCore();
    const { uploads: bobs } = await startedPipeline(core, bob, [50, 51, 52]);
    const { uploads, pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    core.store.setBytes(uploadKey(alice, uploads[0]!.id), core.store.getBytes(uploadKey(bob, bobs[0]!.id))!);
    const bobsBefore = ownersState(core, bob);
    const ended = (await runPipeline(core.deps, pipeline.id))._unsafeUnwrap();
    expect(ended.status).toBe('failed');
    expect(['verify.size_mismatch', 'verify.hash_mismatch']).toContain(failureCode(ended));
    expect(ownersState(core, bob)).toEqual(bobsBefore);
  });

  it('fails with verify.object_missing when a photo is gone from storage', async () => {
    const core = memoryCore();
    const { uploads, pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    (await core.store.delete(uploadKey(alice, uploads[1]!.id)))._unsafeUnwrap();
    await expectFailedWith(core, pipeline.id, 'verify.object_missing', 'verify_uploads');
  });

  it('a photo changed after verification is caught when packaging', async () => {
    const core = memoryCore();
    const { uploads, pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'packaging');
    const key = uploadKey(alice, uploads[0]!.id);
    core.store.setBytes(key, flipped(core.store.getBytes(key)!));
    const ended = (await runPipeline(core.deps, pipeline.id))._unsafeUnwrap();
    expect(ended.status).toBe('failed');
    expect(failureCode(ended)).toBe('package.entry_mismatch');
    expect(core.trainer.trainings.size).toBe(0);
  });

  // The pipeline ends in `packaging`, where no package is recorded, yet the packager already
  // stored a ZIP of the owner's photos: it must still be deleted.
  it('a package refused right after building is deleted', async () => {
    const core = memoryCore();
    const { uploads, pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'packaging');
    const key = uploadKey(alice, uploads[0]!.id);
    core.store.setBytes(key, flipped(core.store.getBytes(key)!));
    (await runPipeline(core.deps, pipeline.id))._unsafeUnwrap();
    expect(packageKeys(core)).toEqual([]);
  });
});

describe('verify_package: the stored ZIP is read back before submission', () => {
  async function packaged(core: MemoryCore) {
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'verifying_package');
    return { id: pipeline.id, key: packageKey(alice, pipeline.id) };
  }

  it('fails with package.hash_mismatch when the ZIP changed after it was written', async () => {
    const core = memoryCore();
    const { id, key } = await packaged(core);
    core.store.setBytes(key, flipped(core.store.getBytes(key)!));
    await expectFailedWith(core, id, 'package.hash_mismatch', 'verify_package');
  });

  it("fails when the ZIP was swapped for another owner's valid ZIP", async () => {
    const core = memoryCore();
    const { pipeline: bobs } = await startedPipeline(core, bob, [50, 51, 52]);
    await advanceTo(core, bobs.id, 'verifying_package');
    const { id, key } = await packaged(core);
    core.store.setBytes(key, core.store.getBytes(packageKey(bob, bobs.id))!);
    const ended = (await runPipeline(core.deps, id))._unsafeUnwrap();
    expect(ended.status).toBe('failed');
    expect(['package.hash_mismatch', 'package.entry_mismatch', 'package.entry_count_mismatch']).toContain(failureCode(ended));
    expect(core.trainer.trainings.size).toBe(0);
    // Bob's package is untouched, and Alice's (now holding Bob's photos) is deleted.
    expect(packageKeys(core)).toEqual([packageKey(bob, bobs.id)]);
  });

  it('fails with package.missing when the ZIP is gone', async () => {
    const core = memoryCore();
    const { id, key } = await packaged(core);
    (await core.store.delete(key))._unsafeUnwrap();
    await expectFailedWith(core, id, 'package.missing', 'verify_package');
  });

  it('fails with package.unreadable when the ZIP is not a ZIP any more', async () => {
    const core = memoryCore();
    const { id, key } = await packaged(core);
    core.store.setBytes(key, new TextEncoder().encode('not a zip at all'));
    await expectFailedWith(core, id, 'package.unreadable', 'verify_package');
  });

  it('records the verified manifest: one entry per photo with its hash', async () => {
    const core = memoryCore();
    const { uploads, pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    const submitting = await advanceTo(core, pipeline.id, 'submitting');
    const evidence = submitting.steps.find((s) => s.name === 'verify_package')?.evidence;
    expect(evidence?.step === 'verify_package' && evidence.entries.map((e) => e.sha256).sort()).toEqual(
      uploads.map((u) => u.sha256).sort(),
    );
  });
});

describe('submit: the package is checked once more right before it is handed over (I3)', () => {
  async function submitting(core: MemoryCore) {
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    const at = await advanceTo(core, pipeline.id, 'submitting');
    if (at.status !== 'submitting') throw new Error('not submitting');
    return { id: pipeline.id, key: packageKey(alice, pipeline.id), verified: at.package };
  }
  const loggedFailure = (core: MemoryCore) => core.log.events.find((e) => e.kind === 'pipeline.step_failed')?.detail;

  it('fails with package.hash_mismatch when the ZIP changed after it was verified, saying both hashes in the log', async () => {
    const core = memoryCore();
    const { id, key, verified } = await submitting(core);
    core.store.setBytes(key, flipped(core.store.getBytes(key)!));
    await expectFailedWith(core, id, 'package.hash_mismatch', 'submit');
    expect(loggedFailure(core)).toMatchObject({ code: 'package.hash_mismatch', detail: expect.stringContaining(`!= verified ${verified.sha256}`) as unknown });
  });

  it('fails with package.missing when the ZIP is gone, naming the key in the log', async () => {
    const core = memoryCore();
    const { id, key } = await submitting(core);
    (await core.store.delete(key))._unsafeUnwrap();
    await expectFailedWith(core, id, 'package.missing', 'submit');
    expect(loggedFailure(core)).toMatchObject({ code: 'package.missing', detail: `no object at ${key}` });
  });

  it('fails when storage reports another size for it, even with the same hash', async () => {
    const core = memoryCore();
    const { id, key } = await submitting(core);
    const inspect = core.store.inspect.bind(core.store);
    vi.spyOn(core.store, 'inspect').mockImplementation((asked) =>
      inspect(asked).map((facts) => (asked === key && facts.exists ? { ...facts, byteSize: facts.byteSize + 1 } : facts)),
    );
    await expectFailedWith(core, id, 'package.hash_mismatch', 'submit');
  });
});
