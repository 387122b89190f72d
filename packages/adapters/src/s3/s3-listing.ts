import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { err, errAsync, ok, okAsync, ResultAsync, type Result } from 'neverthrow';
import { z } from 'zod';
import { domainError, type ListedObject, type ListedPage, type StoreError } from '@selfie-lora/core';
import type { S3Bucket } from './s3-bucket.js';
import { storeError } from './s3-errors.js';

export interface ListTuning {
  /** Keys asked for per ListObjectsV2 page (S3 answers at most 1000); default 1000. */
  readonly listPageSize?: number;
  /** A listing needing more pages than this is refused, never returned short; default 1000. */
  readonly maxListPages?: number;
}

const DEFAULT_PAGE_SIZE = 1000;
const DEFAULT_MAX_PAGES = 1000;

// What a listing must say about each object before we believe it: the SDK fills the output
// from XML without checking that fields are present or sensible.
const listedItemSchema = z.object({
  Key: z.string().min(1),
  Size: z.number().int().nonnegative(),
  LastModified: z.date(),
});

const listPageSchema = z.object({
  Contents: z.array(listedItemSchema).optional(),
  IsTruncated: z.boolean().optional(),
  NextContinuationToken: z.string().min(1).optional(),
});

type ListPage = z.infer<typeof listPageSchema>;

/** Permanent, as `storeError` classes an answer the SDK cannot parse: retrying meets the same server. */
function malformed(prefix: string, detail: string): StoreError {
  return domainError('storage.unavailable', `list ${JSON.stringify(prefix)}: malformed listing: ${detail}`);
}

function checkPage(prefix: string, output: unknown): Result<ListPage, StoreError> {
  const parsed = listPageSchema.safeParse(output);
  if (!parsed.success) return err(malformed(prefix, z.prettifyError(parsed.error)));
  const stray = parsed.data.Contents?.find((item) => !item.Key.startsWith(prefix));
  if (stray) return err(malformed(prefix, `key ${JSON.stringify(stray.Key)} is outside the prefix`));
  if (parsed.data.IsTruncated === true && parsed.data.NextContinuationToken === undefined) {
    return err(malformed(prefix, 'truncated without a continuation token'));
  }
  return ok(parsed.data);
}

/** In UTF-8 byte order (S3's own); a key named twice means the pages overlapped, so refuse. */
function inKeyOrder(prefix: string, listed: readonly ListedObject[]): ResultAsync<readonly ListedObject[], StoreError> {
  const sorted = listed
    .map((item) => ({ item, bytes: Buffer.from(item.key, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  for (let i = 1; i < sorted.length; i += 1) {
    if (sorted[i - 1]!.item.key === sorted[i]!.item.key) return errAsync(malformed(prefix, `key ${JSON.stringify(sorted[i]!.item.key)} listed twice`));
  }
  return okAsync(sorted.map(({ item }) => item));
}

/**
 * Every object under `prefix`, following continuation tokens page by page. Each page is checked
 * against a schema; a malformed page, a failed request or too many pages is an error, so the
 * caller never mistakes a partial listing for the whole bucket.
 */
export function listObjects(s3: S3Bucket, prefix: string, tuning: ListTuning = {}): ResultAsync<readonly ListedObject[], StoreError> {
  const pageSize = tuning.listPageSize ?? DEFAULT_PAGE_SIZE;
  const maxPages = tuning.maxListPages ?? DEFAULT_MAX_PAGES;
  const operation = `list ${JSON.stringify(prefix)}`;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > DEFAULT_PAGE_SIZE || !Number.isInteger(maxPages) || maxPages < 1) {
    return errAsync(domainError('storage.unavailable', `${operation}: invalid page size ${pageSize} or page limit ${maxPages}`));
  }
  const fetchPage = (token: string | undefined): ResultAsync<ListPage, StoreError> =>
    ResultAsync.fromPromise(
      s3.client.send(
        new ListObjectsV2Command({
          Bucket: s3.bucket,
          Prefix: prefix,
          MaxKeys: pageSize,
          ...(token !== undefined ? { ContinuationToken: token } : {}),
        }),
      ),
      (cause) => storeError(cause, operation),
    ).andThen((output) => checkPage(prefix, output));

  const from = (token: string | undefined, pagesSoFar: number, listed: ListedObject[]): ResultAsync<readonly ListedObject[], StoreError> => {
    if (pagesSoFar >= maxPages) {
      // Permanent: the next attempt would meet the same bucket and the same limit.
      return errAsync(domainError('storage.unavailable', `${operation}: more than ${maxPages} pages of ${pageSize} keys; raise maxListPages`));
    }
    return fetchPage(token).andThen((page) => {
      for (const item of page.Contents ?? []) listed.push({ key: item.Key, byteSize: item.Size, lastModified: item.LastModified });
      return page.IsTruncated === true ? from(page.NextContinuationToken, pagesSoFar + 1, listed) : inKeyOrder(prefix, listed);
    });
  };
  return from(undefined, 0, []);
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/**
 * One ListObjectsV2 page: up to `limit` objects under `prefix` after `startAfter`. Checked as
 * `listObjects` checks each page, and also that its keys ascend past `startAfter`, so a walk from
 * page to page can neither repeat nor skip a key, nor loop on a page that says more and lists none.
 */
export function listObjectsPage(s3: S3Bucket, prefix: string, startAfter: string | null, limit: number): ResultAsync<ListedPage, StoreError> {
  const operation = `list ${JSON.stringify(prefix)}`;
  if (!Number.isInteger(limit) || limit < 1 || limit > DEFAULT_PAGE_SIZE) {
    return errAsync(domainError('storage.unavailable', `${operation}: invalid page size ${limit}`));
  }
  return ResultAsync.fromPromise(
    s3.client.send(
      new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix, MaxKeys: limit, ...(startAfter !== null ? { StartAfter: startAfter } : {}) }),
    ),
    (cause) => storeError(cause, operation),
  )
    .andThen((output) => checkPage(prefix, output))
    .andThen((page): Result<ListedPage, StoreError> => {
      const objects = (page.Contents ?? []).map((item): ListedObject => ({ key: item.Key, byteSize: item.Size, lastModified: item.LastModified }));
      const more = page.IsTruncated === true;
      for (let i = 0; i < objects.length; i += 1) {
        const previous = i === 0 ? startAfter : objects[i - 1]!.key;
        if (previous !== null && byteOrder(previous, objects[i]!.key) >= 0) return err(malformed(prefix, `key ${JSON.stringify(objects[i]!.key)} out of order`));
      }
      if (objects.length > limit) return err(malformed(prefix, `${objects.length} keys on a page of ${limit}`));
      if (more && objects.length === 0) return err(malformed(prefix, 'truncated without a key'));
      return ok({ objects, more });
    });
}
