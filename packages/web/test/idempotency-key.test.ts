import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { newIdempotencyKey } from '../src/api/idempotency-key.js';

describe('newIdempotencyKey', () => {
  it('spells every byte as two hex digits, in order', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const key = newIdempotencyKey((target) => {
          target.set(bytes);
          return target;
        });
        expect(key).toMatch(/^[0-9a-f]{32}$/);
        expect(Uint8Array.from(key.match(/../g) ?? [], (pair) => parseInt(pair, 16))).toEqual(bytes);
      }),
    );
  });

  afterEach(() => vi.restoreAllMocks());

  it('works where crypto.randomUUID is unavailable (plain http outside localhost)', () => {
    vi.spyOn(crypto, 'randomUUID').mockImplementation(() => {
      throw new TypeError('crypto.randomUUID is not a function');
    });
    const keys = new Set(Array.from({ length: 50 }, () => newIdempotencyKey()));
    expect(keys.size).toBe(50);
  });
});
