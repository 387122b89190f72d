import { describe, expect, it } from 'vitest';
import { checkDeclaredSize } from '../src/domain/upload.js';

// The size a client declares before a direct upload: a slot is only signed for a length the policy accepts.
const policy = { maxBytes: 1_000, minWidth: 256, minHeight: 200 };

describe('checkDeclaredSize', () => {
  it('accepts one byte and exactly the maximum, and gives the size back', () => {
    expect(checkDeclaredSize(policy, 1)._unsafeUnwrap()).toBe(1);
    expect(checkDeclaredSize(policy, 1_000)._unsafeUnwrap()).toBe(1_000);
  });

  it('refuses one byte over the maximum: too_large, the detail naming both sizes', () => {
    expect(checkDeclaredSize(policy, 1_001)._unsafeUnwrapErr()).toMatchObject({ code: 'upload.too_large', detail: 'declared 1001 > 1000 bytes' });
  });

  it('refuses an empty file: corrupt', () => {
    expect(checkDeclaredSize(policy, 0)._unsafeUnwrapErr()).toMatchObject({ code: 'upload.corrupt', detail: 'declared an empty file' });
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('refuses %s, which is not a byte count: corrupt, not too_large', (size) => {
    expect(checkDeclaredSize(policy, size)._unsafeUnwrapErr()).toMatchObject({
      code: 'upload.corrupt',
      detail: `declared size ${size} is not a byte count`,
    });
  });
});
