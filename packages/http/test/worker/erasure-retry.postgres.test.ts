import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { errAsync } from 'neverthrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectS3,
  createMemoryCore,
  createPostgresDatabase,
  MemoryPipelineLeases,
  S3ObjectStore,
  type PostgresDatabase,
} from '@selfie-lora/adapters';
import { startLocalS3, type LocalS3 } from '@selfie-lora/local-stack';
import { deleteUpload, OwnerId, registerUpload, transientError, uploadKey, type CoreDeps, type ObjectStore } from '@selfie-lora/core';
import { onTestServer, TEST_SERVER_URL } from '@selfie-lora/testkit/postgres';
import { backgroundJobs, startWorker } from '../../src/worker/index.js';
import { jpeg } from '../support/images.js';

// 15.6: deleting a photo commits the row and the erasure owed together; when S3 fails the delete,
// the bytes are still erased later, by the worker, over a real Postgres and a real s3rver.

const schema = `erasure_retry_${randomBytes(6).toString('hex')}`;
let db: PostgresDatabase;
let s3: LocalS3;
let directory: string;
let store: S3ObjectStore;

beforeAll(async () => {
  db = (await createPostgresDatabase({ url: TEST_SERVER_URL, schema }))._unsafeUnwrap();
  directory = await mkdtemp(join(tmpdir(), 'selfie-erasure-'));
  s3 = await startLocalS3({ directory });
  store = new S3ObjectStore(
    connectS3({ endpoint: s3.endpoint, region: s3.region, bucket: 'photos', ...s3.credentials, forcePathStyle: true, checksumMode: 'when_required' }),
  );
  (await store.ensureBucket())._unsafeUnwrap();
}, 30_000);

afterAll(async () => {
  await db?.close();
  await s3?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
  await onTestServer((server) => server.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
}, 30_000);

/** The real S3 store, but its next `failures` deletes fail as an S3 outage would. */
function failingDeletes(real: ObjectStore, failures: number): { store: ObjectStore; deletes: string[] } {
  let left = failures;
  const deletes: string[] = [];
  return {
    deletes,
    store: {
      put: (key, body, options) => real.put(key, body, options),
      inspect: (key) => real.inspect(key),
      read: (key) => real.read(key),
      list: (prefix) => real.list(prefix),
      listPage: (prefix, startAfter, limit) => real.listPage(prefix, startAfter, limit),
      signedGetUrl: (key, ttl) => real.signedGetUrl(key, ttl),
      signedPutUrl: (key, ttl, options) => real.signedPutUrl(key, ttl, options),
      delete: (key) => {
        deletes.push(key);
        if (left > 0) {
          left -= 1;
          return errAsync(transientError('storage.unavailable', 'injected: S3 answered 503'));
        }
        return real.delete(key);
      },
    },
  };
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2_000; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('photo erasure over Postgres and s3rver', () => {
  it('a delete S3 fails is carried out by the worker once due, and the other photo stays', async () => {
    const core = createMemoryCore();
    const faulty = failingDeletes(store, 2);
    const deps: CoreDeps = { ...core.deps, uow: db, objects: faulty.store };
    const owner = OwnerId.parse('erin')._unsafeUnwrap();
    const register = async (seed: number) =>
      (await registerUpload(deps, { ownerId: owner, body: Readable.from([await jpeg(seed)]) as AsyncIterable<Uint8Array> }))._unsafeUnwrap().upload;
    const [gone, kept] = [await register(901), await register(902)];
    const exists = async (id: typeof gone.id) => (await store.inspect(uploadKey(owner, id)))._unsafeUnwrap().exists;

    const deleted = (await deleteUpload(deps, { ownerId: owner, uploadId: gone.id }))._unsafeUnwrap();
    expect(deleted.upload.status).toBe('deleted');
    expect(deleted.erasure).toMatchObject({ state: 'pending', attempt: 1 });
    expect(await exists(gone.id)).toBe(true);

    const worker = startWorker({
      deps,
      leases: new MemoryPipelineLeases(core.db),
      workerId: 'erasure-test',
      pollIntervalMs: 60_000,
      idleDelayMs: 5,
      jobs: backgroundJobs(deps, { everyMs: 5 }),
    });
    try {
      // Not due yet: the worker leaves it alone until its backoff has passed.
      await until('the worker to rest', () => Promise.resolve(faulty.deletes.length === 1));
      core.clock.advance(deleted.erasure.notBefore!.getTime() - core.clock.now().getTime());
      // The second try fails too (S3 still down); the third, after a longer backoff, erases.
      // The failed try is recorded after S3 answered: wait for the row, not the S3 call.
      const listOwed = async () => (await db.transaction((repos) => repos.erasures.listByOwner(owner)))._unsafeUnwrap();
      await until('a second try recorded', async () => (await listOwed())[0]?.attempt === 2);
      const owed = await listOwed();
      expect(faulty.deletes).toHaveLength(2);
      expect(owed).toEqual([expect.objectContaining({ state: 'pending', attempt: 2 })]);
      expect(await exists(gone.id)).toBe(true);
      core.clock.advance(owed[0]!.notBefore!.getTime() - core.clock.now().getTime());
      await until('the bytes to be erased', async () => !(await exists(gone.id)));
    } finally {
      await worker.stop();
    }
    const [erasure] = (await db.transaction((repos) => repos.erasures.listByOwner(owner)))._unsafeUnwrap();
    expect(erasure).toMatchObject({ state: 'done', attempt: 2, lastError: null, target: { kind: 'object', key: uploadKey(owner, gone.id) } });
    expect(await exists(kept.id)).toBe(true);
  });
});
