import { MemoryDatabase } from '../../src/memory/memory-database.js';
import { MemoryPipelineLeases } from '../../src/memory/memory-pipeline-leases.js';
import { describePipelineLeasesContract } from './pipeline-leases.contract.js';

// Workers in one process share one leases object over the same database.
describePipelineLeasesContract('in memory', () => {
  const uow = new MemoryDatabase();
  const leases = new MemoryPipelineLeases(uow);
  return Promise.resolve({ uow, leases, other: leases, close: () => Promise.resolve() });
});
