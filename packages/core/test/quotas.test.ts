import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTrainingQuota, defaultQuotaPolicy } from '../src/index.js';

const DAY_MS = 24 * 3600 * 1000;
const NOW = Date.parse('2026-12-02T12:00:00Z');

describe('training quota', () => {
  it('never lets more than the limit start in any 24 h, and Retry-After is exactly when one more may', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: -2 * DAY_MS, max: 0 }), { maxLength: 15 }),
        (limit, offsets) => {
          const policy = { ...defaultQuotaPolicy, trainingsPerDay: limit };
          const created = offsets.map((offset) => new Date(NOW + offset));
          const inWindow = offsets.filter((offset) => offset > -DAY_MS).length;
          const verdict = checkTrainingQuota(policy, created, new Date(NOW));
          expect(verdict.isOk()).toBe(inWindow < limit);
          if (verdict.isErr()) {
            const wait = verdict.error.retryAfterSeconds!;
            expect(wait).toBeGreaterThanOrEqual(1);
            // Asking at Retry-After succeeds; a second before it would still be refused (unless rounding made it 1 s).
            expect(checkTrainingQuota(policy, created, new Date(NOW + wait * 1000)).isOk()).toBe(true);
            if (wait > 1) expect(checkTrainingQuota(policy, created, new Date(NOW + (wait - 1) * 1000 - 1)).isErr()).toBe(true);
          }
        },
      ),
    );
  });
});
