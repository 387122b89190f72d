import { createRequire } from 'node:module';

// s3rver 3.7.1 cannot page ListObjectsV2 on Node 17+: it encrypts continuation tokens with DES,
// which OpenSSL 3 refuses, so every truncated listing answers 500. It also walks the bucket in
// readdir order, which is not key order on most file systems, and compares keys as UTF-16 strings
// rather than UTF-8 bytes, so pages could skip or repeat keys.
// This replaces its ListObjectsV2 handler (behind its own authentication and bucket checks) with
// one that sorts by key and uses plain opaque tokens. Listings with a delimiter or bad arguments
// still go to s3rver's own handler, which answers them (or refuses them) as before.

interface StoredObject {
  readonly key: string;
  readonly size: number;
  readonly lastModifiedDate: Date;
  readonly metadata: Readonly<Record<string, string | undefined>>;
}

interface ListContext {
  readonly query: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly params: { readonly bucket: string };
  readonly store: {
    listObjects(bucket: string, options: { prefix?: string }): Promise<{ objects: readonly StoredObject[] }>;
  };
  body: unknown;
}

type Handler = ((ctx: ListContext) => Promise<void>) & { readonly [PATCHED]?: true };
interface BucketController {
  getBucket: Handler;
}
type S3ErrorClass = new (code: string, message: string, detail?: Record<string, unknown>) => Error;

const TOKEN_PREFIX = 'selfie1:';
/** Marks our handler: a test runner may load this module afresh per file while s3rver stays cached. */
const PATCHED = Symbol.for('selfie-lora.s3rver-list-v2');

function single(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Makes s3rver's ListObjectsV2 page correctly, in this process; calling it again is harmless. */
export function fixS3rverListObjectsV2(): void {
  const require = createRequire(import.meta.url);
  // s3rver's router looks `getBucket` up on this module object per request, so replacing it works.
  const controller = require('s3rver/lib/controllers/bucket.js') as BucketController;
  if (controller.getBucket[PATCHED]) return;
  const S3Error = require('s3rver/lib/models/error.js') as S3ErrorClass;
  const original = controller.getBucket;

  const listV2 = async (ctx: ListContext): Promise<void> => {
    const query = ctx.query;
    const maxKeysText = single(query['max-keys']);
    const ownCase =
      single(query['list-type']) === '2' && !query['delimiter'] && !('marker' in query) && (maxKeysText === undefined || /^\d+$/.test(maxKeysText));
    if (!ownCase) return original(ctx);

    const token = single(query['continuation-token']);
    if (token !== undefined && !token.startsWith(TOKEN_PREFIX)) {
      throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
    }
    const startAfter = token !== undefined ? Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8') : single(query['start-after']);
    const prefix = single(query['prefix']) ?? '';
    const maxKeys = Math.min(1000, maxKeysText === undefined ? 1000 : Number(maxKeysText));

    // s3rver compares startAfter as JS strings (UTF-16), not as S3 does (UTF-8 bytes): filter here.
    const { objects } = await ctx.store.listObjects(ctx.params.bucket, { prefix });
    const after = Buffer.from(startAfter ?? '', 'utf8');
    const sorted = objects
      .map((object) => ({ object, bytes: Buffer.from(object.key, 'utf8') }))
      .filter(({ bytes }) => Buffer.compare(bytes, after) > 0)
      .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
      .map(({ object }) => object);
    const page = sorted.slice(0, maxKeys);
    const truncated = maxKeys > 0 && sorted.length > page.length;
    const last = page.at(-1);
    ctx.body = {
      ListBucketResult: {
        '@': { xmlns: 'http://doc.s3.amazonaws.com/2006-03-01/' },
        Name: ctx.params.bucket,
        Prefix: prefix,
        StartAfter: token === undefined ? startAfter : undefined,
        ContinuationToken: token,
        NextContinuationToken: truncated && last ? TOKEN_PREFIX + Buffer.from(last.key, 'utf8').toString('base64url') : undefined,
        KeyCount: page.length,
        MaxKeys: maxKeys,
        IsTruncated: truncated,
        Contents: page.map((object) => ({
          Key: object.key,
          LastModified: object.lastModifiedDate.toISOString(),
          ETag: object.metadata['etag'],
          Size: object.size,
          StorageClass: 'STANDARD',
        })),
      },
    };
  };
  controller.getBucket = Object.assign(listV2, { [PATCHED]: true as const });
}
