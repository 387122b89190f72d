import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/memory/manual-clock.js';
import { MemoryRateLimiter } from '../../src/memory/memory-rate-limiter.js';
import type { ReplicateRateLimits } from '../../src/replicate/index.js';
import { startHarness, type Harness } from './support/harness.js';

// Two trainers (two processes of one deployment) sharing one limiter, against the simulator over
// HTTP: a call past the account's limit is never sent, and comes back as a retry time the
// pipeline step waits out (decision 74). Sharing across processes through Postgres is the
// limiter contract's (rate-limiter.postgres.test.ts); this is the gate in the adapter.

const isCreate = (r: { method: string; path: string }) => r.method === 'POST' && r.path.endsWith('/trainings');

let h: Harness;
let clock: ManualClock;
let limits: ReplicateRateLimits;

beforeEach(async () => {
  h = await startHarness();
  clock = new ManualClock(new Date('2026-12-04T12:00:10.000Z'));
  // No waiting here: a refusal is answered at once with the time the next window opens.
  limits = { limiter: new MemoryRateLimiter(), clock, createPerMinute: 1, callsPerMinute: 100, maxWaitMs: 0 };
});
afterEach(async () => {
  await h.close();
});

describe('Replicate calls through the deployment-wide limits', () => {
  it('sends one training creation a window across two trainers; the second is refused with a retry time and nothing is sent', async () => {
    const first = h.trainer({ rateLimits: limits });
    const second = h.trainer({ rateLimits: limits });

    expect((await first.submit(await h.submission('pipe-1', [1, 2]))).isOk()).toBe(true);
    const refused = (await second.submit(await h.submission('pipe-2', [3, 4])))._unsafeUnwrapErr();

    expect(refused).toMatchObject({ code: 'trainer.unavailable', transient: true });
    // The window opened at 12:00:00 closes at 12:01:00, 50 s after "now".
    expect(refused.retryAfterSeconds).toBe(50);
    expect(h.sim.control.requests.filter(isCreate)).toHaveLength(1);
  });

  it('sends the refused creation once the next window opens', async () => {
    const first = h.trainer({ rateLimits: limits });
    const second = h.trainer({ rateLimits: limits });
    expect((await first.submit(await h.submission('pipe-1', [1, 2]))).isOk()).toBe(true);
    const submission = await h.submission('pipe-2', [3, 4]);
    expect((await second.submit(submission)).isErr()).toBe(true);

    clock.advance(50_000);
    const accepted = (await second.submit(submission))._unsafeUnwrap();

    expect(h.sim.control.training(accepted.trainerTrainingId)).not.toBeNull();
    expect(h.sim.control.requests.filter(isCreate)).toHaveLength(2);
  });

  it('counts the other calls apart from creations', async () => {
    const { trainerTrainingId } = (await h.trainer().submit(await h.submission('pipe-1', [1, 2])))._unsafeUnwrap();
    const trainer = h.trainer({ rateLimits: { ...limits, createPerMinute: 10, callsPerMinute: 2 } });
    const before = h.sim.control.requests.length;

    const answers = [await trainer.get(trainerTrainingId), await trainer.get(trainerTrainingId), await trainer.get(trainerTrainingId)];

    expect(answers.map((a) => a.isOk())).toEqual([true, true, false]);
    expect(answers[2]!._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.unavailable', transient: true });
    expect(h.sim.control.requests.length - before).toBe(2);
  });
});
