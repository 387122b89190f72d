import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkOpenSlotQuota, checkTrainingQuota, defaultQuotaPolicy } from '../src/index.js';

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

describe('open upload slot quota', () => {
  it('refuses only when the unexpired slots reach the limit, and Retry-After is when the soonest expires', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: -3600_000, max: 3600_000 }), { maxLength: 12 }), (limit, offsets) => {
        const policy = { ...defaultQuotaPolicy, maxOpenSlots: limit };
        const expiries = offsets.map((offset) => new Date(NOW + offset));
        const open = offsets.filter((offset) => offset > 0);
        const verdict = checkOpenSlotQuota(policy, expiries, new Date(NOW));
        expect(verdict.isOk()).toBe(open.length < limit);
        if (verdict.isErr()) {
          expect(verdict.error.code).toBe('quota.open_slots');
          expect(verdict.error.retryAfterSeconds).toBe(Math.max(1, Math.ceil(Math.min(...open) / 1000)));
          // Once the soonest has expired, one more may open (when it was the one over the limit).
          const later = new Date(NOW + Math.min(...open));
          expect(checkOpenSlotQuota(policy, expiries, later).isOk()).toBe(open.filter((offset) => offset > Math.min(...open)).length < limit);
        }
      }),
    );
  });
});
