import { describe, expect, it } from 'vitest';
import { isMissingObject, storeError } from '../../src/s3/s3-errors.js';

/** Errors shaped as @aws-sdk/client-s3 throws them: a name and the HTTP status in $metadata. */
function sdkError(name: string, status?: number): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: status === undefined ? {} : { httpStatusCode: status } });
}

describe('S3 error classification', () => {
  it.each([
    ['network failure (no HTTP answer)', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })],
    ['500', sdkError('InternalError', 500)],
    ['503 SlowDown', sdkError('SlowDown', 503)],
    ['429', sdkError('TooManyRequestsException', 429)],
    ['throttling under a 400', sdkError('ThrottlingException', 400)],
    ['412 after If-Match', sdkError('PreconditionFailed', 412)],
  ])('treats %s as transient storage.unavailable', (_label, cause) => {
    expect(storeError(cause, 'op')).toMatchObject({ code: 'storage.unavailable', transient: true });
  });

  it.each([
    ['403 AccessDenied', sdkError('AccessDenied', 403)],
    ['404 NoSuchBucket', sdkError('NoSuchBucket', 404)],
    ['400 InvalidBucketName', sdkError('InvalidBucketName', 400)],
  ])('treats %s as a permanent storage.unavailable', (_label, cause) => {
    const error = storeError(cause, 'op');
    expect(error.code).toBe('storage.unavailable');
    expect(error.transient).toBeFalsy();
    expect(error.detail).toContain(cause.name);
  });

  it('calls a missing key missing, never a missing bucket', () => {
    expect(isMissingObject(sdkError('NoSuchKey', 404))).toBe(true);
    expect(isMissingObject(sdkError('NoSuchBucket', 404))).toBe(false);
    expect(isMissingObject(sdkError('AccessDenied', 403))).toBe(false);
  });
});
