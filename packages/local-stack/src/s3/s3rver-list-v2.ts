import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// s3rver 3.7.1 cannot page ListObjectsV2 on Node 17+: it encrypts continuation tokens with DES,
// which OpenSSL 3 refuses, so every truncated listing answers 500. It also walks the bucket in
// readdir order, which is not key order on most file systems, and compares keys as UTF-16 strings
// rather than UTF-8 bytes, so pages could skip or repeat keys.
// This replaces its ListObjectsV2 handler (behind its own authentication and bucket checks) with
// one that sorts by key and uses plain opaque tokens, and reads only the page it answers: s3rver
// stats every entry of every directory on the way to the prefix and reads the metadata of every
// object under it for each page, so a prefix of one owner among 100,000 cost 100,000 stats. Listings with a delimiter or bad arguments
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
    getBucketPath(bucket: string): string;
    getMetadata(bucket: string, key: string): Promise<Record<string, string | undefined>>;
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

/** s3rver keeps each object as `<dir>/<name>._S3rver_object` beside its metadata files. */
const OBJECT_SUFFIX = '._S3rver_object';

/**
 * The keys under `prefix` after `after` (UTF-8 byte order), lazily and in order: the walk starts
 * at the deepest directory the prefix names, visits siblings sorted as their keys sort, and skips
 * any directory whose keys all come at or before `after`, so a page costs what it returns.
 * (A name as a key part: a file `a` is key `a`, a directory `a` holds keys `a/...`.)
 */
function* keysUnder(bucketPath: string, prefix: string, after: Buffer): Generator<string> {
  const dirKey = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  const root = join(bucketPath, dirKey);
  if (!existsSync(root)) return;
  yield* walkSorted(root, dirKey, prefix, after);
}

function* walkSorted(dir: string, dirKey: string, prefix: string, after: Buffer): Generator<string> {
  const entries = readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return [{ name: entry.name, key: `${dirKey}${entry.name}/`, directory: true }];
    if (entry.name.endsWith(OBJECT_SUFFIX)) return [{ name: entry.name, key: dirKey + entry.name.slice(0, -OBJECT_SUFFIX.length), directory: false }];
    return [];
  });
  entries.sort((a, b) => Buffer.compare(Buffer.from(a.key, 'utf8'), Buffer.from(b.key, 'utf8')));
  for (const entry of entries) {
    const key = Buffer.from(entry.key, 'utf8');
    if (entry.directory) {
      const meetsPrefix = entry.key.startsWith(prefix) || prefix.startsWith(entry.key);
      // Every key below starts with `entry.key`: all at or before `after` unless `after` lies inside.
      const allBefore = Buffer.compare(key, after) < 0 && !after.subarray(0, key.length).equals(key);
      if (meetsPrefix && !allBefore) yield* walkSorted(join(dir, entry.name), entry.key, prefix, after);
    } else if (entry.key.startsWith(prefix) && Buffer.compare(key, after) > 0) {
      yield entry.key;
    }
  }
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

    // Keys in S3's order (UTF-8 bytes), one more than the page to know whether it is truncated.
    const after = Buffer.from(startAfter ?? '', 'utf8');
    const keys: string[] = [];
    for (const key of keysUnder(ctx.store.getBucketPath(ctx.params.bucket), prefix, after)) {
      keys.push(key);
      if (keys.length > maxKeys) break;
    }
    const page: StoredObject[] = [];
    for (const key of keys.slice(0, maxKeys)) {
      // Deleted since the walk: not listed.
      const metadata = await ctx.store.getMetadata(ctx.params.bucket, key).catch((error: { code?: string }) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      if (metadata !== null) {
        page.push({ key, size: Number(metadata['content-length']), lastModifiedDate: new Date(metadata['last-modified'] ?? 0), metadata });
      }
    }
    const truncated = maxKeys > 0 && keys.length > maxKeys;
    // The token names the last key walked, listed or deleted meanwhile: the next page starts after it.
    const last = keys.length > maxKeys ? keys[maxKeys - 1] : undefined;
    ctx.body = {
      ListBucketResult: {
        '@': { xmlns: 'http://doc.s3.amazonaws.com/2006-03-01/' },
        Name: ctx.params.bucket,
        Prefix: prefix,
        StartAfter: token === undefined ? startAfter : undefined,
        ContinuationToken: token,
        NextContinuationToken: truncated && last !== undefined ? TOKEN_PREFIX + Buffer.from(last, 'utf8').toString('base64url') : undefined,
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
