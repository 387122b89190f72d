import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectS3, S3ObjectStore, type ListTuning, type S3Bucket } from '../../src/s3/index.js';

// A stand-in S3 that answers ListObjectsV2 with whatever XML a test scripts, so the adapter
// can be shown what a broken or hostile server might send.

interface Answer {
  readonly status?: number;
  readonly body: string;
}

interface ListRequest {
  readonly prefix: string | null;
  readonly maxKeys: string | null;
  readonly token: string | null;
}

interface Item {
  readonly Key?: string;
  readonly Size?: string;
  readonly LastModified?: string;
}

function item(key: string, size = 3, lastModified = '2026-01-01T00:00:00.000Z'): Item {
  return { Key: key, Size: String(size), LastModified: lastModified };
}

function listing(items: readonly Item[], page: { truncated?: boolean; next?: string } = {}): string {
  const contents = items
    .map((entry) =>
      [
        '<Contents>',
        entry.Key === undefined ? '' : `<Key>${entry.Key}</Key>`,
        entry.LastModified === undefined ? '' : `<LastModified>${entry.LastModified}</LastModified>`,
        '<ETag>"0"</ETag>',
        entry.Size === undefined ? '' : `<Size>${entry.Size}</Size>`,
        '<StorageClass>STANDARD</StorageClass></Contents>',
      ].join(''),
    )
    .join('');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
    `<Name>photos</Name><Prefix>p/</Prefix><KeyCount>${items.length}</KeyCount><MaxKeys>1000</MaxKeys>`,
    `<IsTruncated>${page.truncated ? 'true' : 'false'}</IsTruncated>`,
    page.next === undefined ? '' : `<NextContinuationToken>${page.next}</NextContinuationToken>`,
    contents,
    '</ListBucketResult>',
  ].join('');
}

function s3ErrorBody(code: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message><RequestId>1</RequestId></Error>`;
}

describe('S3ObjectStore.list against a scripted server', { timeout: 30_000 }, () => {
  let server: Server;
  let endpoint: string;
  let answer: (request: ListRequest, index: number) => Answer = () => ({ body: listing([]) });
  let requests: ListRequest[] = [];
  const buckets: S3Bucket[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const request = { prefix: url.searchParams.get('prefix'), maxKeys: url.searchParams.get('max-keys'), token: url.searchParams.get('continuation-token') };
      requests.push(request);
      const { status = 200, body } = answer(request, requests.length - 1);
      req.resume();
      res.writeHead(status, { 'content-type': 'application/xml' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    requests = [];
  });
  afterAll(async () => {
    for (const bucket of buckets) bucket.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function store(tuning: ListTuning = {}): S3ObjectStore {
    const s3 = connectS3({
      endpoint,
      region: 'us-east-1',
      bucket: 'photos',
      accessKeyId: 'k',
      secretAccessKey: 's',
      forcePathStyle: true,
      checksumMode: 'when_required',
      maxAttempts: 1,
    });
    buckets.push(s3);
    return new S3ObjectStore(s3, tuning);
  }

  it('follows continuation tokens page by page and returns every object with its facts', async () => {
    const pages = [
      { items: [item('p/a', 1), item('p/b', 2)], next: 'token-1' },
      { items: [item('p/c', 3), item('p/d', 4, '2025-05-05T05:05:05.000Z')], next: 'token-2' },
      { items: [item('p/e', 5)] },
    ];
    answer = (_request, index) => {
      const page = pages[index]!;
      return { body: listing(page.items, page.next ? { truncated: true, next: page.next } : {}) };
    };
    const listed = (await store({ listPageSize: 2 }).list('p/'))._unsafeUnwrap();
    expect(listed.map(({ key, byteSize }) => [key, byteSize])).toEqual([
      ['p/a', 1],
      ['p/b', 2],
      ['p/c', 3],
      ['p/d', 4],
      ['p/e', 5],
    ]);
    expect(listed[3]!.lastModified).toEqual(new Date('2025-05-05T05:05:05.000Z'));
    expect(requests).toEqual([
      { prefix: 'p/', maxKeys: '2', token: null },
      { prefix: 'p/', maxKeys: '2', token: 'token-1' },
      { prefix: 'p/', maxKeys: '2', token: 'token-2' },
    ]);
  });

  it.each<[string, () => Answer]>([
    ['an object without a size', () => ({ body: listing([item('p/a'), { Key: 'p/b', LastModified: '2026-01-01T00:00:00.000Z' }]) })],
    ['a negative size', () => ({ body: listing([item('p/a', -1)]) })],
    ['an object without lastModified', () => ({ body: listing([{ Key: 'p/a', Size: '3' }]) })],
    ['an object without a key', () => ({ body: listing([{ Size: '3', LastModified: '2026-01-01T00:00:00.000Z' }]) })],
    ['a key outside the prefix', () => ({ body: listing([item('p/a'), item('q/elsewhere')]) })],
    ['a truncated page without a continuation token', () => ({ body: listing([item('p/a')], { truncated: true }) })],
    ['a lastModified that is not a date', () => ({ body: listing([item('p/a', 3, 'yesterday')]) })],
    ['a size that is not a number', () => ({ body: listing([{ Key: 'p/a', Size: 'lots', LastModified: '2026-01-01T00:00:00.000Z' }]) })],
    ['a body that is not XML', () => ({ body: '<html>surprise' })],
  ])('answers %s with a permanent storage.unavailable, never a throw', async (_label, scripted) => {
    answer = scripted;
    const result = await store().list('p/');
    const error = result._unsafeUnwrapErr();
    expect(error.code).toBe('storage.unavailable');
    expect(error.detail).toContain('list "p/"');
    // Permanent, like any answer the SDK itself cannot parse: asking again meets the same server.
    expect(error.transient).toBeFalsy();
  });

  it('names what was wrong with a malformed listing', async () => {
    answer = () => ({ body: listing([item('p/a', -1)]) });
    expect((await store().list('p/'))._unsafeUnwrapErr().detail).toMatch(/malformed listing.*Size/s);
  });

  it('refuses a key listed on two pages (pages that overlap may also have skipped some)', async () => {
    answer = (_request, index) => ({ body: index === 0 ? listing([item('p/a'), item('p/b')], { truncated: true, next: 't' }) : listing([item('p/b')]) });
    expect((await store().list('p/'))._unsafeUnwrapErr().detail).toMatch(/"p\/b" listed twice/);
  });

  it('refuses (permanently) a listing longer than the page bound, instead of returning it short', async () => {
    answer = (_request, index) => ({ body: listing([item(`p/${index}`)], { truncated: true, next: `t${index}` }) });
    const error = (await store({ listPageSize: 1, maxListPages: 3 }).list('p/'))._unsafeUnwrapErr();
    expect(error.code).toBe('storage.unavailable');
    expect(error.transient).toBeFalsy();
    expect(error.detail).toContain('more than 3 pages');
    expect(requests).toHaveLength(3);
  });

  it('classifies server errors as the other operations do', async () => {
    answer = () => ({ status: 403, body: s3ErrorBody('AccessDenied') });
    const denied = (await store().list('p/'))._unsafeUnwrapErr();
    expect([denied.code, denied.transient ?? false]).toEqual(['storage.unavailable', false]);
    expect(denied.detail).toContain('AccessDenied');

    answer = () => ({ status: 503, body: s3ErrorBody('SlowDown') });
    const busy = (await store().list('p/'))._unsafeUnwrapErr();
    expect([busy.code, busy.transient]).toEqual(['storage.unavailable', true]);
  });

  it.each([0, 1001, 1.5])('refuses a page size of %s without asking the server', async (listPageSize) => {
    expect((await store({ listPageSize }).list('p/'))._unsafeUnwrapErr().code).toBe('storage.unavailable');
    expect(requests).toEqual([]);
  });

  it('refuses a page bound below one without asking the server', async () => {
    expect((await store({ maxListPages: 0 }).list('p/'))._unsafeUnwrapErr().code).toBe('storage.unavailable');
    expect(requests).toEqual([]);
  });
});
