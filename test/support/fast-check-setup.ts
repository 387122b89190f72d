import fc from 'fast-check';

/**
 * Global fast-check settings for every vitest project (wired through `setupFiles` in each
 * project's vitest.config.ts). Property tests rely on the global numRuns: 100 by default,
 * 100 * PROPERTY_SCALE when set (`npm run test:deep` uses PROPERTY_SCALE=10).
 */
export function propertyScale(raw: string | undefined): number {
  const scale = Number(raw ?? 1);
  if (!Number.isSafeInteger(scale) || scale <= 0) {
    throw new Error(`PROPERTY_SCALE must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return scale;
}

fc.configureGlobal({ numRuns: 100 * propertyScale(process.env['PROPERTY_SCALE']) });
