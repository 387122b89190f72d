import { ManualClock } from '../../src/memory/manual-clock.js';
import { MemoryObjectStore } from '../../src/memory/memory-object-store.js';
import { MemoryPackager } from '../../src/memory/memory-packager.js';
import { packagerContract } from './packager.contract.js';

packagerContract('in memory', () => {
  const store = new MemoryObjectStore(new ManualClock());
  return Promise.resolve({ store, packager: new MemoryPackager(store), close: () => Promise.resolve() });
});
