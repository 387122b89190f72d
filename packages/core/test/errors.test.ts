import { describe, expect, it } from 'vitest';
import { domainError, errorMessages, transientError, type ErrorCode } from '../src/domain/errors.js';

const codes = Object.keys(errorMessages) as ErrorCode[];

// Words that belong in logs (the `detail`), never in what the end user reads.
const INTERNAL = /\b(sha-?256|null|undefined|nan|exception|stack|trace|error code|typeerror|\[object)\b/i;

describe('errorMessages', () => {
  it('covers the codes the HTTP contract names', () => {
    expect(codes).toEqual(
      expect.arrayContaining([
        'upload.too_large',
        'upload.unsupported_type',
        'upload.corrupt',
        'upload.too_small',
        'training.not_enough_photos',
        'training.already_active',
      ]),
    );
  });

  it.each(codes)('%s has a user-facing sentence without internal words', (code) => {
    const message = errorMessages[code];
    expect(message.trim()).toBe(message);
    expect(message.length).toBeGreaterThan(10);
    expect(message).toMatch(/^[A-Z].*[.!?]$/);
    expect(message).not.toMatch(INTERNAL);
    expect(message).not.toContain(code);
    expect(message).not.toContain('_');
  });

  it('builds errors whose message is the table entry, with details kept apart', () => {
    expect(domainError('verify.hash_mismatch', 'sha256 abc != def')).toEqual({
      code: 'verify.hash_mismatch',
      message: errorMessages['verify.hash_mismatch'],
      detail: 'sha256 abc != def',
    });
    expect(domainError('upload.corrupt').transient).toBeUndefined();
    expect(transientError('storage.unavailable', 'ECONNRESET')).toEqual({
      code: 'storage.unavailable',
      message: errorMessages['storage.unavailable'],
      detail: 'ECONNRESET',
      transient: true,
    });
  });
});
