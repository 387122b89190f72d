import { startS3Fixture } from '../s3/support/local-s3.js';
import { objectStoreContract } from './object-store.contract.js';

objectStoreContract('S3 (s3rver on loopback)', async () => {
  const fixture = await startS3Fixture();
  return {
    store: fixture.store,
    download: async (url: string) => {
      const response = await fetch(url);
      return response.ok ? new Uint8Array(await response.arrayBuffer()) : null;
    },
    upload: async (url: string, bytes: Uint8Array) => (await fetch(url, { method: 'PUT', body: bytes })).ok,
    close: () => fixture.close(),
  };
});
