import { beforeAll, describe, it } from 'vitest';
import { makeImagePool, type ImagePool } from './support/pool.js';
import { expectCovered, runInterleavings } from './support/run-property.js';

let pool: ImagePool;
beforeAll(async () => {
  pool = await makeImagePool();
});

describe('the incident: a person with zero uploads got a model trained on a stranger', () => {
  // zoe never stores a photo (she may try bad files), but does everything else: starts and restarts
  // trainings, deletes and cancels with other owners' ids, forges webhooks for their trainings.
  it('never gives an owner without uploads a model, pipeline, training or stored object', { timeout: 600_000 }, async () => {
    const coverage = await runInterleavings(pool, ['alice', 'bob', 'zoe'], ['alice', 'bob']);
    expectCovered(coverage, ['models', 'foreignAttempts', 'forgedRefused']);
  });
});
