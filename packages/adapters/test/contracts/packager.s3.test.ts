import { startS3Fixture } from '../s3/support/local-s3.js';
import { packagerContract } from './packager.contract.js';

packagerContract('S3 (streaming fflate ZIP, s3rver on loopback)', async () => {
  const fixture = await startS3Fixture();
  return { store: fixture.store, packager: fixture.packager, close: () => fixture.close() };
});
