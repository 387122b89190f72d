import fc from 'fast-check';
import { expect } from 'vitest';
import { commandArb } from './command-arbitraries.js';
import { SharpImageInspector } from '@selfie-lora/adapters';
import type { ImagePool } from './pool.js';
import { emptyCoverage, setupWorld, type Coverage } from './world.js';

/** Long enough for whole trainings (upload, start, six steps, report) to interleave between owners. */
export const MAX_COMMANDS = 150;

export const images = new SharpImageInspector();

/**
 * Runs the model-based property (global numRuns from the setup file) and returns what it covered.
 * Every command checks all invariants against the real state after it runs.
 */
export async function runInterleavings(pool: ImagePool, owners: readonly string[], uploaders: readonly string[]): Promise<Coverage> {
  const coverage = emptyCoverage();
  await fc.assert(
    fc.asyncProperty(fc.commands([commandArb({ pool, owners, uploaders })], { maxCommands: MAX_COMMANDS, size: 'max' }), async (commands) => {
      await fc.asyncModelRun(() => setupWorld(pool, owners, coverage, images), commands);
    }),
  );
  return coverage;
}

/** A property is only as good as the paths it took: the important ones must have been reached. */
export function expectCovered(coverage: Coverage, keys: readonly (keyof Coverage)[]): void {
  for (const key of keys) expect(coverage[key], `no run reached: ${key}`).toBeGreaterThan(0);
}
