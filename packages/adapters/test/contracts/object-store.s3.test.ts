import { S3ObjectStore } from '../../src/s3/index.js';
import { startS3Fixture } from '../s3/support/local-s3.js';
import { objectStoreContract } from './object-store.contract.js';

// A tiny listing page, so the contract's listings span several ListObjectsV2 pages.
const LIST_PAGE_SIZE = 2;

objectStoreContract('S3 (s3rver on loopback)', async () => {
  const fixture = await startS3Fixture();
  return {
    store: new S3ObjectStore(fixture.s3, { listPageSize: LIST_PAGE_SIZE }),
    download: async (url: string) => {
      const response = await fetch(url);
      return response.ok ? new Uint8Array(await response.arrayBuffer()) : null;
    },
    upload: async (url: string, bytes: Uint8Array) => (await fetch(url, { method: 'PUT', body: bytes })).ok,
    close: () => fixture.close(),
    now: () => new Date(),
    listPageSize: LIST_PAGE_SIZE,
  };
});
