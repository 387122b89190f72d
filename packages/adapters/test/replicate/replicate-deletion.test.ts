import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { destinationA, startHarness, type Harness } from './support/harness.js';

// Erasure at the trainer through the real `replicate` client's request() against the simulator,
// with Replicate's rules: a version only of a private model, not run by others, not a training's
// base; a model only when private and empty. Refusals are `trainer.deletion_refused`, absence is done.

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});

afterEach(async () => {
  await h.close();
});

describe('ReplicateTrainer deleteVersion / deleteModel', () => {
  it('deletes every version, then the empty model; deleting again is done, not an error', async () => {
    const trainer = h.trainer();
    const first = h.sim.control.plantVersion('selfie-lora/selfie-lora-aaaa');
    const second = h.sim.control.plantVersion('selfie-lora/selfie-lora-aaaa');
    // Not empty yet: refused, and nothing deleted.
    expect((await trainer.deleteModel(destinationA))._unsafeUnwrapErr().code).toBe('trainer.deletion_refused');
    for (const version of [first, second]) expect((await trainer.deleteVersion(version)).isOk()).toBe(true);
    expect((await trainer.listVersions(destinationA))._unsafeUnwrap()).toEqual([]);
    expect((await trainer.deleteModel(destinationA)).isOk()).toBe(true);
    expect(h.sim.control.requests.filter((r) => r.method === 'DELETE').map((r) => r.status)).toEqual([409, 202, 202, 204]);
    // Gone: a 404 is what erasure wanted.
    expect((await trainer.deleteVersion(first)).isOk()).toBe(true);
    expect((await trainer.deleteModel(destinationA)).isOk()).toBe(true);
  });

  it('refuses a version someone else has run, and keeps it', async () => {
    const trainer = h.trainer();
    const version = h.sim.control.plantVersion('selfie-lora/selfie-lora-aaaa');
    h.sim.control.markRunByOthers(version);
    const refused = (await trainer.deleteVersion(version))._unsafeUnwrapErr();
    expect(refused.code).toBe('trainer.deletion_refused');
    expect(refused.detail).toMatch(/someone other than you/);
    expect((await trainer.listVersions(destinationA))._unsafeUnwrap().map((v) => v.version)).toEqual([version]);
  });

  it('a 503 is transient (retried by the erasure), not a refusal', async () => {
    const version = h.sim.control.plantVersion('selfie-lora/selfie-lora-aaaa');
    h.sim.control.setKnobs({ serverErrors: 10 });
    const failed = (await h.trainer().deleteVersion(version))._unsafeUnwrapErr();
    expect(failed).toMatchObject({ code: 'trainer.unavailable', transient: true });
  });
});
