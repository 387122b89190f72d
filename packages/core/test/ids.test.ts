import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModelId, OwnerId, PipelineId, Sha256, UploadId } from '../src/domain/ids.js';

const parsers = [
  ['ownerId', OwnerId.parse],
  ['uploadId', UploadId.parse],
  ['pipelineId', PipelineId.parse],
  ['modelId', ModelId.parse],
] as const;

const idFirst = 'abcxyzABCXYZ0189'.split('');
const idRest = [...idFirst, '.', '_', ':', '@', '|', '-'];

describe.each(parsers)('%s.parse', (field, parse) => {
  it('accepts 1 to 128 printable characters of the allowed set, first one a letter or digit', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...idFirst),
        fc.array(fc.constantFrom(...idRest), { maxLength: 127 }),
        (first, rest) => {
          const value = first + rest.join('');
          expect(parse(value)._unsafeUnwrap()).toBe(value);
        },
      ),
    );
    expect(parse('a'.repeat(128)).isOk()).toBe(true);
  });

  it('refuses 129 characters, an empty string, and a separator first', () => {
    for (const value of ['a'.repeat(129), '', '.a', '-a', '_a', ':a', '@a', '|a']) {
      expect(parse(value).isErr(), value).toBe(true);
    }
  });

  it('refuses any character outside the set, wherever it stands', () => {
    const outside = fc.constantFrom(' ', '/', '\\', '\n', '#', '?', '%', '*', '"', "'", 'é', '\u0000', '\u202e');
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...idRest), maxLength: 20 }), outside, fc.string({ unit: fc.constantFrom(...idRest), maxLength: 20 }), (before, bad, after) => {
        expect(parse(`a${before}${bad}${after}`).isErr()).toBe(true);
      }),
    );
  });

  it('refuses what is not a string, naming the field and never echoing the value', () => {
    for (const value of [undefined, null, 42, ['a'], { id: 'a' }]) {
      expect(parse(value)._unsafeUnwrapErr()).toEqual({
        code: 'value.invalid',
        field,
        detail: `${field} is not a valid value`,
      });
    }
  });
});

describe('Sha256.parse', () => {
  it('accepts exactly 64 lowercase hex digits', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }), (hex) => {
        expect(Sha256.parse(hex)._unsafeUnwrap()).toBe(hex);
      }),
    );
  });

  it('refuses 63 or 65 digits, uppercase, other letters and surrounding text', () => {
    const good = 'ab'.repeat(32);
    for (const value of [good.slice(1), `${good}0`, good.toUpperCase(), `g${good.slice(1)}`, ` ${good}`, `${good}\n`, 42]) {
      expect(Sha256.parse(value)._unsafeUnwrapErr()).toMatchObject({ code: 'value.invalid', field: 'sha256' });
    }
  });
});
