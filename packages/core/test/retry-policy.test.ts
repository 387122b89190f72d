import { describe, expect, it } from 'vitest';
import {
  MAX_RETRY_AFTER_MS,
  retryLater,
  stepAnswered,
  type RetryPolicy,
  type TrainingStagePipeline,
} from '../src/domain/training-pipeline.js';
import { alice } from './support/ids.js';
import { aPipeline } from './support/pipeline-builder.js';
import { minutesAfterStart } from './support/time.js';

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 2_000, maxDelayMs: 60_000 };
const now = minutesAfterStart(20);
const later = (ms: number) => new Date(now.getTime() + ms);
const training = (): TrainingStagePipeline => aPipeline().ownedBy(alice).training();

describe('retryLater with a Retry-After (decision 74)', () => {
  it('waits what the dependency said, without spending the retry budget', () => {
    const waiting = retryLater(training(), policy, now, 7_000) as TrainingStagePipeline;
    expect(waiting).toMatchObject({ status: 'training', retry: { attempt: 0, notBefore: later(7_000) }, updatedAt: now });
    const again = retryLater(waiting, policy, now, 7_000) as TrainingStagePipeline;
    expect(again.retry.attempt).toBe(0);
  });

  it('waits at least the base delay and at most an hour', () => {
    expect(retryLater(training(), policy, now, 1).retry.notBefore).toEqual(later(policy.baseDelayMs));
    expect(retryLater(training(), policy, now, MAX_RETRY_AFTER_MS).retry.notBefore).toEqual(later(MAX_RETRY_AFTER_MS));
    expect(retryLater(training(), policy, now, MAX_RETRY_AFTER_MS + 1).retry.notBefore).toEqual(later(MAX_RETRY_AFTER_MS));
  });

  it.each([0, -5_000])('takes a Retry-After of %s ms as no Retry-After: an ordinary failed try', (retryAfterMs) => {
    expect(retryLater(training(), policy, now, retryAfterMs).retry).toEqual({ attempt: 1, notBefore: later(policy.baseDelayMs) });
  });
});

describe('stepAnswered', () => {
  it('returns the pipeline itself when no retry is pending, so nothing is written', () => {
    const p = training();
    expect(stepAnswered(p, now)).toBe(p);
  });

  it('clears a pending retry, counted or told to wait, and records when', () => {
    const failedOnce = retryLater(training(), policy, now) as TrainingStagePipeline;
    expect(stepAnswered(failedOnce, later(5_000))).toMatchObject({ retry: { attempt: 0, notBefore: null }, updatedAt: later(5_000) });
    const toldToWait = retryLater(training(), policy, now, 7_000) as TrainingStagePipeline;
    expect(toldToWait.retry.attempt).toBe(0);
    expect(stepAnswered(toldToWait, later(8_000))).toMatchObject({ retry: { attempt: 0, notBefore: null }, updatedAt: later(8_000) });
    const counted = { ...failedOnce, retry: { attempt: 2, notBefore: null } };
    expect(stepAnswered(counted, later(9_000)).retry).toEqual({ attempt: 0, notBefore: null });
  });
});
