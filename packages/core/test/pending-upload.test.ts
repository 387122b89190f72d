import { describe, expect, it } from 'vitest';
import {
  checkDeferred,
  checkNoneChecking,
  defaultRetryPolicy,
  isChecking,
  isRefusalCode,
  MAX_CHECK_ATTEMPTS,
  receivePhoto,
  REFUSAL_CODES,
  refusal,
  refusePhoto,
  trusted,
  type OwnerId,
  type PendingUpload,
  type Sha256,
  type UploadId,
} from '../src/index.js';

const T0 = new Date('2026-12-04T00:00:00Z');
const received = (id = 'u1'): PendingUpload =>
  receivePhoto({ id: trusted<UploadId>(id), ownerId: trusted<OwnerId>('alice'), sourceSha256: trusted<Sha256>('a'.repeat(64)), byteSize: 10, now: T0 });

describe('a photo received and judged after the answer', () => {
  it('starts checking, due at once, with nothing refused', () => {
    expect(received()).toEqual({
      id: 'u1',
      ownerId: 'alice',
      status: 'checking',
      sourceSha256: 'a'.repeat(64),
      byteSize: 10,
      receivedAt: T0,
      attempts: 0,
      notBefore: null,
      refusal: null,
      settledAt: null,
      revision: 0,
    });
    expect(isChecking(received())).toBe(true);
  });

  it('has words for a person for every refusal, without machine codes', () => {
    for (const code of REFUSAL_CODES) {
      const { message } = refusal(code);
      expect(message.length, code).toBeGreaterThan(10);
      expect(message, code).not.toMatch(/_|\bupload\.|\bquota\./);
    }
    expect(refusal('upload.duplicate').message).toMatch(/already uploaded/);
    expect(refusal('upload.not_found').message).toMatch(/lost before it could be checked/);
    expect(refusal('upload.checks_unavailable').message).toMatch(/upload it again later/);
    expect(refusal('upload.no_face').message).toMatch(/No face/);
  });

  it('knows its refusal codes and nothing else', () => {
    expect(isRefusalCode('upload.no_face')).toBe(true);
    expect(isRefusalCode('storage.unavailable')).toBe(false);
    expect(isRefusalCode('persistence.conflict')).toBe(false);
  });

  it('a refusal is final, with when and why', () => {
    const later = new Date(T0.getTime() + 5000);
    const refused = refusePhoto({ ...received(), notBefore: later }, 'upload.corrupt', later);
    expect(refused).toMatchObject({ status: 'refused', notBefore: null, settledAt: later, refusal: refusal('upload.corrupt') });
    expect(isChecking(refused)).toBe(false);
  });

  it('a check that could not finish backs off, growing, and is refused on its last try', () => {
    let photo = received();
    const delays: number[] = [];
    for (let attempt = 1; attempt < MAX_CHECK_ATTEMPTS; attempt += 1) {
      photo = checkDeferred(photo, defaultRetryPolicy, T0);
      expect(photo).toMatchObject({ status: 'checking', attempts: attempt });
      delays.push(photo.notBefore!.getTime() - T0.getTime());
    }
    expect(delays[0]).toBeGreaterThan(0);
    for (let i = 1; i < delays.length; i += 1) expect(delays[i]!).toBeGreaterThan(delays[i - 1]!);
    const last = checkDeferred(photo, defaultRetryPolicy, T0);
    expect(last).toMatchObject({ status: 'refused', attempts: MAX_CHECK_ATTEMPTS, refusal: { code: 'upload.checks_unavailable' } });
  });
});

describe('a training waits for the checks of the photos it would use', () => {
  const checking = received('c1');
  const refused = refusePhoto(received('r1'), 'upload.no_face', T0);

  it('by default any photo checking holds it; refused ones never do', () => {
    expect(checkNoneChecking([refused], undefined).isOk()).toBe(true);
    expect(checkNoneChecking([], undefined).isOk()).toBe(true);
    const error = checkNoneChecking([refused, checking, received('c2')], undefined)._unsafeUnwrapErr();
    expect([error.code, error.detail]).toEqual(['training.photos_checking', 'still checking: c1, c2']);
  });

  it('with named photos, only a named one checking holds it', () => {
    expect(checkNoneChecking([checking], ['u9']).isOk()).toBe(true);
    expect(checkNoneChecking([checking, refused], ['u9', 'r1']).isOk()).toBe(true);
    expect(checkNoneChecking([checking], ['u9', 'c1'])._unsafeUnwrapErr().code).toBe('training.photos_checking');
  });
});
