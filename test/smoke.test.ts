import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyScale } from './support/fast-check-setup.js';

describe('test wiring', () => {
  it('applies the global fast-check numRuns from PROPERTY_SCALE', () => {
    const scale = Number(process.env['PROPERTY_SCALE'] ?? 1);
    expect(fc.readConfigureGlobal().numRuns).toBe(100 * scale);
  });

  it('rejects an invalid PROPERTY_SCALE, naming the variable', () => {
    for (const bad of ['0', '-1', '1.5', 'abc', '']) {
      expect(() => propertyScale(bad)).toThrow(/PROPERTY_SCALE/);
    }
    expect(propertyScale(undefined)).toBe(1);
    expect(propertyScale('10')).toBe(10);
  });
});
