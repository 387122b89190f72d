import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RateLimit, RateLimitAnswer, RateLimiter } from '../../src/rate-limits/rate-limiter.js';

export interface RateLimiterHarness {
  readonly limiter: RateLimiter;
  /** The same limits through another connection (another process), where the adapter has one. */
  readonly other: RateLimiter;
  close(): Promise<void>;
}

const WINDOW = 60_000;
/** A window boundary, so `at(ms)` names a point inside a known window. */
const T0 = new Date('2026-03-01T12:00:00.000Z').getTime();
const at = (ms: number) => new Date(T0 + ms);
let names = 0;
const aLimit = (perWindow: number): RateLimit => ({ name: `test:limit-${process.pid}-${++names}`, perWindow, windowMs: WINDOW });

/**
 * What every RateLimiter must do. Time is the caller's `now`: a window ends because the caller
 * says it is later, never because the test waited.
 */
export function describeRateLimiterContract(name: string, open: () => Promise<RateLimiterHarness>): void {
  describe(`rate limiter contract: ${name}`, () => {
    let h: RateLimiterHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.close();
    });

    const take = async (limiter: RateLimiter, limit: RateLimit, ms: number): Promise<RateLimitAnswer> =>
      (await limiter.take(limit, at(ms)))._unsafeUnwrap();

    it('grants perWindow calls in a window, then refuses until the next window starts, and grants again there', async () => {
      const limit = aLimit(3);
      for (const ms of [0, 10, 59_999]) expect(await take(h.limiter, limit, ms)).toEqual({ granted: true });
      expect(await take(h.limiter, limit, 59_999)).toEqual({ granted: false, retryAt: at(WINDOW) });
      expect(await take(h.limiter, limit, 60_000)).toEqual({ granted: true });
      expect(await take(h.other, limit, 61_000)).toEqual({ granted: true });
    });

    it('counts every taker of a name together, and names apart', async () => {
      const shared = aLimit(2);
      const apart = aLimit(1);
      expect(await take(h.limiter, shared, 5)).toEqual({ granted: true });
      expect(await take(h.other, shared, 6)).toEqual({ granted: true });
      expect(await take(h.limiter, shared, 7)).toEqual({ granted: false, retryAt: at(WINDOW) });
      expect(await take(h.other, shared, 8)).toEqual({ granted: false, retryAt: at(WINDOW) });
      expect(await take(h.other, apart, 9)).toEqual({ granted: true });
    });

    it('a window skipped entirely leaves nothing behind: the next one starts from zero', async () => {
      const limit = aLimit(1);
      expect(await take(h.limiter, limit, 0)).toEqual({ granted: true });
      expect(await take(h.limiter, limit, 5 * WINDOW + 1)).toEqual({ granted: true });
      expect(await take(h.limiter, limit, 5 * WINDOW + 2)).toEqual({ granted: false, retryAt: at(6 * WINDOW) });
    });

    it('a late clock counts into the newest window and never moves it back', async () => {
      const limit = aLimit(2);
      expect(await take(h.limiter, limit, WINDOW + 1)).toEqual({ granted: true });
      // Another process whose clock is still in the previous window: counted in the newest one.
      expect(await take(h.other, limit, WINDOW - 1)).toEqual({ granted: true });
      expect(await take(h.other, limit, WINDOW - 1)).toEqual({ granted: false, retryAt: at(2 * WINDOW) });
      expect(await take(h.limiter, limit, WINDOW + 2)).toEqual({ granted: false, retryAt: at(2 * WINDOW) });
    });

    it('property: concurrent takers through two instances never get more than perWindow in a window, and get that many when they ask for it', async () => {
      const batch = fc.record({
        advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: WINDOW / 2 }), fc.integer({ min: WINDOW / 2, max: 2 * WINDOW })),
        takers: fc.array(fc.constantFrom<'limiter' | 'other'>('limiter', 'other'), { minLength: 1, maxLength: 8 }),
      });
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.array(batch, { minLength: 1, maxLength: 8 }), async (perWindow, batches) => {
          const limit = aLimit(perWindow);
          const asked = new Map<number, number>();
          const granted = new Map<number, number>();
          let now = 0;
          for (const { advanceMs, takers } of batches) {
            now += advanceMs;
            const window = Math.floor((T0 + now) / WINDOW);
            // All of a batch at once: each instance's calls race the other's in the database.
            const answers = await Promise.all(takers.map((who) => h[who].take(limit, at(now))));
            for (const answer of answers) {
              const value = answer._unsafeUnwrap();
              asked.set(window, (asked.get(window) ?? 0) + 1);
              if (value.granted) granted.set(window, (granted.get(window) ?? 0) + 1);
              else expect(value.retryAt).toEqual(new Date((window + 1) * WINDOW));
            }
          }
          for (const [window, count] of asked) expect(granted.get(window) ?? 0).toBe(Math.min(count, perWindow));
        }),
        { numRuns: 40 },
      );
    });
  });
}
