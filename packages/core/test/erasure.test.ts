import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { domainError } from '../src/domain/errors.js';
import {
  ERASURE_HOLD_MS,
  erasureDone,
  erasureRef,
  erasureRefused,
  erasureRetryLater,
  ownerObjectPrefixes,
  requestErasure,
  type ErasureTarget,
} from '../src/domain/erasure.js';
import { ownerRef } from '../src/domain/owner-ref.js';
import { CLEANUP_MAX_DELAY_MS, defaultRetryPolicy } from '../src/domain/training-pipeline.js';
import { alice } from './support/ids.js';
import { minutesAfterStart, t0 } from './support/time.js';

const target: ErasureTarget = { kind: 'object', key: 'uploads/x/u1' };
const request = (holdMs: number) => requestErasure({ ownerId: alice, target, reason: 'upload_deleted', now: t0, holdMs });

describe('erasure targets', () => {
  it('names each kind of target in one line', () => {
    expect(
      [
        { kind: 'object', key: 'uploads/r/u1' },
        { kind: 'objects', prefix: 'uploads/r/' },
        { kind: 'trainer_version', version: 'acme/selfie-lora-r:abc' },
        { kind: 'trainer_model', destination: { owner: 'acme', name: 'selfie-lora-r' } },
      ].map((t) => erasureRef(t as ErasureTarget)),
    ).toEqual(['object:uploads/r/u1', 'objects:uploads/r/', 'trainer_version:acme/selfie-lora-r:abc', 'trainer_model:acme/selfie-lora-r']);
  });

  it("covers every prefix that holds an owner's bytes, under the owner's opaque reference", () => {
    const ref = ownerRef(alice);
    expect(ownerObjectPrefixes(alice)).toEqual([`uploads/${ref}/`, `staging/${ref}/`, `trainings/${ref}/`]);
  });
});

describe('an erasure owed', () => {
  it("is held for the requester's own try, or left to the worker at once", () => {
    expect(request(ERASURE_HOLD_MS)).toMatchObject({ state: 'pending', attempt: 0, notBefore: new Date(t0.getTime() + ERASURE_HOLD_MS), requestedAt: t0 });
    expect(request(0).notBefore).toBeNull();
    expect(request(-5).notBefore).toBeNull();
    expect(request(1).notBefore).toEqual(new Date(t0.getTime() + 1));
  });

  it('backs off as a clean-up does, doubling per failure up to an hour, and is never given up', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), (failures) => {
        let erasure = request(0);
        const now = minutesAfterStart(1);
        for (let i = 0; i < failures; i += 1) erasure = erasureRetryLater(erasure, domainError('trainer.unavailable', 'down'), defaultRetryPolicy, now);
        const expected = Math.min(CLEANUP_MAX_DELAY_MS, defaultRetryPolicy.baseDelayMs * 2 ** (failures - 1));
        expect(erasure).toMatchObject({ state: 'pending', attempt: failures, notBefore: new Date(now.getTime() + expected), lastError: 'trainer.unavailable: down' });
      }),
    );
  });

  it('ends done or refused, with the reason of a refusal', () => {
    const done = erasureDone(request(ERASURE_HOLD_MS), minutesAfterStart(2));
    expect(done).toMatchObject({ state: 'done', notBefore: null, finishedAt: minutesAfterStart(2), lastError: null });
    const refused = erasureRefused(request(0), domainError('trainer.deletion_refused'), minutesAfterStart(3));
    expect(refused).toMatchObject({ state: 'refused', notBefore: null, finishedAt: minutesAfterStart(3), lastError: 'trainer.deletion_refused' });
  });
});
