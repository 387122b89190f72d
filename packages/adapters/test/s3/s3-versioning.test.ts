import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../src/s3/index.js';
import { startS3Fixture, type S3Fixture } from './support/local-s3.js';

// 15.6: on a versioned bucket a delete leaves the bytes as an old version, so the service refuses
// to start on one. s3rver implements no versioning (it answers NotImplemented, which passes); a
// versioned bucket's answer is put in front of it with an SDK middleware, the request still sent.

let s3: S3Fixture;

beforeAll(async () => {
  s3 = await startS3Fixture();
}, 30_000);

afterAll(async () => {
  await s3?.close();
});

function answeringVersioning(status: 'Enabled' | 'Suspended'): S3ObjectStore {
  const bucket = s3.connect('when_required');
  bucket.client.middlewareStack.add(
    (next, context) => async (args) => {
      const answer = await next(args).catch((cause: unknown) => ({ cause }));
      if (context.commandName !== 'GetBucketVersioningCommand') {
        if ('cause' in answer) throw answer.cause;
        return answer;
      }
      return { output: { $metadata: {}, Status: status }, response: {} };
    },
    { step: 'initialize', name: 'versionedBucketAnswer' },
  );
  return new S3ObjectStore(bucket);
}

describe('S3ObjectStore.checkUnversioned', () => {
  it('passes a store that keeps no versions (s3rver answers NotImplemented)', async () => {
    expect((await s3.store.checkUnversioned()).isOk()).toBe(true);
  });

  it.each(['Enabled', 'Suspended'] as const)('refuses a bucket whose versioning is %s', async (status) => {
    const refused = await answeringVersioning(status).checkUnversioned();
    expect(refused._unsafeUnwrapErr().code).toBe('storage.unavailable');
    expect(refused._unsafeUnwrapErr().detail).toMatch(/versioning .*old version/);
  });
});
