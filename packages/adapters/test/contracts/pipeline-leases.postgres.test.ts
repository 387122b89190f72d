import { PostgresPipelineLeases } from '../../src/postgres/pipeline-leases.js';
import { createTestDatabase } from '../postgres/support/test-database.js';
import { describePipelineLeasesContract } from './pipeline-leases.contract.js';

// A fresh database per test; two lease adapters with pools of their own, as two worker processes.
describePipelineLeasesContract('postgres', async () => {
  const database = await createTestDatabase();
  const uow = await database.open();
  const leases = (await PostgresPipelineLeases.open({ url: database.url }))._unsafeUnwrap();
  const other = (await PostgresPipelineLeases.open({ url: database.url, poolSize: 4 }))._unsafeUnwrap();
  return {
    uow,
    leases,
    other,
    close: async () => {
      await leases.close();
      await other.close();
      await database.drop();
    },
  };
});
