import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresPipelineLeases } from '@selfie-lora/adapters/postgres';
import type { CoreDeps } from '@selfie-lora/core';
import { createTestDatabase, type TestDatabase } from '../../../adapters/test/postgres/support/test-database.js';
import { memoryCore, startedTraining, statusBecomes, workerOver } from './worker-support.js';

// Real Postgres for the pipelines and the leases; store, packager and trainer in memory.
describe('background worker (postgres)', () => {
  let database: TestDatabase;
  const opened: PostgresPipelineLeases[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(opened.map((leases) => leases.close()));
    await database.drop();
  });

  const leasesOf = async () => {
    const leases = (await PostgresPipelineLeases.open({ url: database.url }))._unsafeUnwrap();
    opened.push(leases);
    return leases;
  };

  it('two workers with leases of their own run every pipeline to succeeded, submitting each once', async () => {
    const core = memoryCore();
    const deps: CoreDeps = { ...core.deps, uow: await database.open() };
    const ids = [];
    for (const owner of ['alice', 'bob', 'carol', 'dave', 'erin']) ids.push(await startedTraining(deps, owner));
    const errors: unknown[] = [];
    const workers = [workerOver(deps, await leasesOf(), 'w1', errors), workerOver(deps, await leasesOf(), 'w2', errors)];
    try {
      for (const id of ids) await statusBecomes(deps, id, 'succeeded');
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
    }
    const submitted = [...core.trainer.trainings.values()].map((t) => t.pipelineId).sort();
    expect(submitted).toEqual([...ids].sort());
    expect(core.store.keys().filter((key) => key.startsWith('trainings/'))).toEqual([]);
    expect(errors).toEqual([]);
  });
});
