import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { S3ObjectStore, type S3Bucket } from '../../src/s3/index.js';
import { startS3Fixture } from '../s3/support/local-s3.js';
import { objectStoreContract } from './object-store.contract.js';

// A tiny listing page, so the contract's listings span several ListObjectsV2 pages.
const LIST_PAGE_SIZE = 2;

/**
 * Whether a presigned PUT URL's signature is the one S3 computes for a request carrying
 * `Content-Length: contentLength`: content-length must be a signed header, and signing the same
 * request at the same instant with that length must give the same signature. s3rver checks no
 * presigned signature, so this is how the test sees what real S3 would refuse.
 */
async function signedFor(s3: S3Bucket, url: string, contentLength: number): Promise<boolean> {
  const parsed = new URL(url);
  const query = parsed.searchParams;
  if (!(query.get('X-Amz-SignedHeaders') ?? '').split(';').includes('content-length')) return false;
  const stamp = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get('X-Amz-Date') ?? '');
  if (!stamp) return false;
  const [, year, month, day, hour, minute, second] = stamp;
  const signingDate = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`);
  const bucketPath = `/${s3.bucket}/`;
  if (!parsed.pathname.startsWith(bucketPath)) return false;
  const key = parsed.pathname.slice(bucketPath.length).split('/').map(decodeURIComponent).join('/');
  const again = await getSignedUrl(s3.presigner, new PutObjectCommand({ Bucket: s3.bucket, Key: key, ContentLength: contentLength }), {
    expiresIn: Number(query.get('X-Amz-Expires')),
    signingDate,
  });
  return new URL(again).searchParams.get('X-Amz-Signature') === query.get('X-Amz-Signature');
}

objectStoreContract(
  'S3 (s3rver on loopback)',
  async () => {
    const fixture = await startS3Fixture();
    return {
      store: new S3ObjectStore(fixture.s3, { listPageSize: LIST_PAGE_SIZE }),
      download: async (url: string) => {
        const response = await fetch(url);
        return response.ok ? new Uint8Array(await response.arrayBuffer()) : null;
      },
      upload: async (url: string, bytes: Uint8Array) => (await fetch(url, { method: 'PUT', body: bytes })).ok,
      signedFor: (url: string, contentLength: number) => signedFor(fixture.s3, url, contentLength),
      close: () => fixture.close(),
      now: () => new Date(),
      listPageSize: LIST_PAGE_SIZE,
    };
  },
  // s3rver alone accepts any presigned PUT, whatever its signature (docs/stack-notes.md); startLocalS3 checks
  // signatures in front of it, so a body of another length than the signed Content-Length is
  // refused, as real S3 does.
  { checksSignatures: true },
);
