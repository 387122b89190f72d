import { beforeAll, describe, it } from 'vitest';
import { makeImagePool, type ImagePool } from './support/pool.js';
import { expectCovered, runInterleavings } from './support/run-property.js';

const OWNERS = ['alice', 'bob', 'carol'];

let pool: ImagePool;
beforeAll(async () => {
  pool = await makeImagePool();
});

describe('the whole core in memory, three owners interleaved (model-based)', () => {
  it('keeps I1-I8 after every upload, delete, start, cancel, restart, step, fault, tampering and report', { timeout: 600_000 }, async () => {
    const coverage = await runInterleavings(pool, OWNERS, OWNERS);
    expectCovered(coverage, [
      'models',
      'submissions',
      'refusedUploads',
      'foreignAttempts',
      'forgedRefused',
      'lateReports',
      'lateSuccesses',
      'verificationFailures',
      'retries',
    ]);
  });
});
