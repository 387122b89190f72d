import { MemoryObjectStore } from '../../src/memory/memory-object-store.js';
import { ManualClock } from '../../src/memory/manual-clock.js';
import { objectStoreContract } from './object-store.contract.js';

objectStoreContract('in memory', () => {
  const store = new MemoryObjectStore(new ManualClock(new Date('2030-01-01T00:00:00Z')));
  return Promise.resolve({
    store,
    download: (url: string) => Promise.resolve(store.fetchSigned(url).unwrapOr(null)),
    upload: (url: string, bytes: Uint8Array) => Promise.resolve(store.putSigned(url, bytes).isOk()),
    close: () => Promise.resolve(),
  });
});
