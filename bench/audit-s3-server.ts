// The local S3 server of `npm run bench:audit`, in a process of its own: s3rver walks its
// directory for every listing, and that garbage must not count as the audit's memory.
// argv: directory, bucket. Sends its endpoint and credentials, then stops when told to.
import { startLocalS3 } from '../packages/local-stack/src/s3/local-s3-server.js';

const [directory, bucket] = process.argv.slice(2);
if (directory === undefined || bucket === undefined || process.send === undefined) throw new Error('usage: fork with <directory> <bucket>');
const local = await startLocalS3({ directory, buckets: [bucket] });
process.send({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });
process.on('message', (message) => {
  if (message === 'close') void local.close().then(() => process.exit(0));
});
