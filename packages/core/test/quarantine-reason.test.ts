import { describe, expect, it } from 'vitest';
import { MAX_QUARANTINE_REASON, quarantineReason } from '../src/domain/model.js';

describe('quarantineReason', () => {
  it('keeps an operator reason of 1 to 500 characters, trimmed', () => {
    expect(quarantineReason('  face of another person  ')._unsafeUnwrap()).toBe('face of another person');
    expect(quarantineReason('x')._unsafeUnwrap()).toBe('x');
    expect(quarantineReason('x'.repeat(MAX_QUARANTINE_REASON))._unsafeUnwrap()).toHaveLength(500);
  });

  it('refuses an empty, blank, overlong or multi-line reason, and anything not text, saying how long it was', () => {
    const cases: [unknown, string][] = [
      ['', 'reason of 0 characters'],
      ['   ', 'reason of 0 characters'],
      ['x'.repeat(MAX_QUARANTINE_REASON + 1), 'reason of 501 characters'],
      ['line one\nline two', 'reason of 17 characters'],
      ['bell\u0007', 'reason of 5 characters'],
      ['del\u007f', 'reason of 4 characters'],
      [42, 'reason of 0 characters'],
      [null, 'reason of 0 characters'],
      [{ reason: 'x' }, 'reason of 0 characters'],
    ];
    for (const [text, detail] of cases) {
      expect(quarantineReason(text)._unsafeUnwrapErr(), JSON.stringify(text)).toMatchObject({ code: 'model.invalid_quarantine_reason', detail });
    }
  });
});
