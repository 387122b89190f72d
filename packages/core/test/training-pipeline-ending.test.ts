import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { domainError, errorMessages } from '../src/domain/errors.js';
import {
  cancelPipeline,
  CLEANUP_MAX_DELAY_MS,
  cleanupRetryLater,
  currentStep,
  failPipeline,
  needsCleanup,
  owesCancelAtTrainer,
  cleanUpDone,
  PIPELINE_STATUSES,
  retryLater,
  trainingSucceeded,
  uploadsVerified,
  type ActivePipeline,
  type ActiveStatus,
  type FailedOrCanceledPipeline,
  type RetryPolicy,
  type TerminalPipeline,
} from '../src/domain/training-pipeline.js';
import { verifyUploads } from '../src/domain/upload-verification.js';
import { alice, modelId } from './support/ids.js';
import { aPipeline, succeededReport } from './support/pipeline-builder.js';
import { objectsOf, rowsOf } from './support/storage-facts.js';
import { minutesAfterStart } from './support/time.js';

const ACTIVE = PIPELINE_STATUSES.filter((s): s is ActiveStatus => s !== 'succeeded' && s !== 'failed' && s !== 'canceled');
const endedAt = minutesAfterStart(20);
const builder = aPipeline().ownedBy(alice).withPhotos(3);
const at = (status: ActiveStatus): ActivePipeline => builder.active(status);

/** What an ending must keep of what was reached so far. */
function reached(p: ActivePipeline) {
  return {
    package: 'package' in p ? p.package : null,
    trainerTrainingId: 'trainerTrainingId' in p ? p.trainerTrainingId : null,
  };
}

describe('failPipeline', () => {
  it.each(ACTIVE)('from %s: failed, with {step, code, user message}, keeping the package and trainer id reached', (status) => {
    const p = at(status);
    const error = { ...domainError('verify.hash_mismatch', 'sha256 abc != def'), message: 'internal: sha256 abc != def' };

    const ended = failPipeline(p, error, endedAt);

    expect(ended.status).toBe('failed');
    expect(ended.failure).toEqual({ step: currentStep(status), code: 'verify.hash_mismatch', message: errorMessages['verify.hash_mismatch'] });
    expect({ package: ended.package, trainerTrainingId: ended.trainerTrainingId }).toEqual(reached(p));
    expect(ended.packageDeletedAt).toBeNull();
    expect(ended.updatedAt).toEqual(endedAt);
    expect(ended.trainingSet).toBe(p.trainingSet);
    expect(ended.steps.slice(0, -1)).toEqual(p.steps.slice(0, -1));
    if (p.steps.length > 0) {
      expect(ended.steps.at(-1)).toEqual({ ...p.steps.at(-1), status: 'failed', finishedAt: endedAt, evidence: null });
    } else {
      expect(ended.steps).toEqual([]);
    }
  });

  it('keeps the verified package and trainer id of a pipeline that fails while training', () => {
    const p = builder.training('trn-keep');
    const ended = failPipeline(p, domainError('trainer.training_failed'), endedAt);
    expect(ended.package).toEqual(p.package);
    expect(ended.trainerTrainingId).toBe('trn-keep');
    expect(ended.failure.step).toBe('train');
  });
});

describe('cancelPipeline', () => {
  it.each(ACTIVE)('from %s: canceled, the running step canceled, with the reason as failure', (status) => {
    const p = at(status);

    const ended = cancelPipeline(p, 'training.canceled_upload_deleted', endedAt);

    expect(ended.status).toBe('canceled');
    expect(ended.failure).toEqual({
      step: currentStep(status),
      code: 'training.canceled_upload_deleted',
      message: errorMessages['training.canceled_upload_deleted'],
    });
    expect({ package: ended.package, trainerTrainingId: ended.trainerTrainingId }).toEqual(reached(p));
    if (p.steps.length > 0) expect(ended.steps.at(-1)).toMatchObject({ status: 'canceled', finishedAt: endedAt });
  });
});

describe('retryLater', () => {
  const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 2_000, maxDelayMs: 5_000 };

  it('schedules the next attempt after an exponential, capped delay, keeping the status', () => {
    const p = at('packaging');
    const first = retryLater(p, policy, endedAt);
    expect(first.status).toBe('packaging');
    expect(first.retry).toEqual({ attempt: 1, notBefore: new Date(endedAt.getTime() + 2_000) });
    const second = retryLater(first as typeof p, policy, endedAt);
    expect(second.retry).toEqual({ attempt: 2, notBefore: new Date(endedAt.getTime() + 4_000) });
    const third = retryLater(second as typeof p, policy, endedAt);
    expect(third.retry).toEqual({ attempt: 3, notBefore: new Date(endedAt.getTime() + 5_000) });
  });

  it('grows the delay monotonically up to the cap, then fails with retries_exhausted after maxAttempts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 0, max: 600_000 }),
        fc.constantFrom(...ACTIVE),
        (maxAttempts, baseDelayMs, extra, status) => {
          const retryPolicy: RetryPolicy = { maxAttempts, baseDelayMs, maxDelayMs: baseDelayMs + extra };
          let p: ActivePipeline = at(status);
          let previousDelay = 0;
          for (let attempt = 1; attempt < maxAttempts; attempt += 1) {
            const next = retryLater(p, retryPolicy, endedAt);
            expect(next.status).toBe(status);
            p = next as ActivePipeline;
            const delay = p.retry.notBefore!.getTime() - endedAt.getTime();
            expect(p.retry.attempt).toBe(attempt);
            expect(delay).toBeGreaterThanOrEqual(Math.max(previousDelay, baseDelayMs));
            expect(delay).toBeLessThanOrEqual(retryPolicy.maxDelayMs);
            // Strictly longer each time until the cap is reached.
            if (previousDelay > 0 && previousDelay < retryPolicy.maxDelayMs) expect(delay).toBeGreaterThan(previousDelay);
            previousDelay = delay;
          }
          const exhausted = retryLater(p, retryPolicy, endedAt) as FailedOrCanceledPipeline;
          expect(exhausted.status).toBe('failed');
          expect(exhausted.failure).toEqual({
            step: currentStep(status),
            code: 'training.retries_exhausted',
            message: errorMessages['training.retries_exhausted'],
          });
          expect(exhausted.retry).toEqual({ attempt: 0, notBefore: null });
        },
      ),
    );
  });

  it('reaches the cap and stays there', () => {
    let p: ActivePipeline = at('training');
    const long: RetryPolicy = { maxAttempts: 20, baseDelayMs: 1_000, maxDelayMs: 30_000 };
    const delays: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      p = retryLater(p, long, endedAt) as ActivePipeline;
      delays.push(p.retry.notBefore!.getTime() - endedAt.getTime());
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it('starts each new step with a fresh retry budget', () => {
    const p = builder.verifyingUploads();
    const retried = retryLater(retryLater(p, policy, endedAt) as typeof p, policy, endedAt) as typeof p;
    expect(retried.retry.attempt).toBe(2);
    const uploads = builder.uploads();
    const verified = verifyUploads(p.trainingSet, rowsOf(uploads), objectsOf(uploads))._unsafeUnwrap();
    expect(uploadsVerified(retried, verified, endedAt).retry).toEqual({ attempt: 0, notBefore: null });
  });
});

describe('needsCleanup', () => {
  it('holds for a succeeded pipeline until its package is deleted', () => {
    const p = builder.training();
    const done = trainingSucceeded(p, succeededReport(p), modelId('m'), endedAt)._unsafeUnwrap().pipeline;
    expect(needsCleanup(done)).toBe(true);
    const cleaned = cleanUpDone(done, minutesAfterStart(21));
    expect(needsCleanup(cleaned)).toBe(false);
    expect(cleaned.packageDeletedAt).toEqual(minutesAfterStart(21));
  });

  // From packaging on, a ZIP (possibly half-written, never recorded) may exist under the package key.
  it.each(['packaging', 'verifying_package', 'submitting', 'training'] as const)(
    'holds for a pipeline ended in %s, once packaging began',
    (status) => {
      const ended = cancelPipeline(at(status), 'training.canceled_by_owner', endedAt);
      expect(needsCleanup(ended)).toBe(true);
      expect(needsCleanup(cleanUpDone(ended, endedAt))).toBe(false);
    },
  );

  it.each(['queued', 'verifying_uploads'] as const)('does not hold for a pipeline ended in %s, before any package', (status) => {
    expect(needsCleanup(failPipeline(at(status), domainError('verify.object_missing'), endedAt))).toBe(false);
  });
});

describe('cleanupRetryLater', () => {
  const steps: RetryPolicy = { maxAttempts: 5, baseDelayMs: 2_000, maxDelayMs: 60_000 };

  it('backs off from the steps\' base delay past their cap, up to an hour, never giving up; updatedAt stays', () => {
    let p: TerminalPipeline = cancelPipeline(at('training'), 'training.canceled_by_owner', endedAt);
    const delays: number[] = [];
    for (let failure = 1; failure <= 2_000; failure += 1) {
      const now = new Date(endedAt.getTime() + failure * 1_000);
      p = cleanupRetryLater(p, steps, now);
      expect(p).toMatchObject({ status: 'canceled', retry: { attempt: failure }, updatedAt: endedAt });
      delays.push(p.retry.notBefore!.getTime() - now.getTime());
    }
    expect(delays.slice(0, 13)).toEqual([2, 4, 8, 16, 32, 64, 128, 256, 512, 1_024, 2_048, 3_600, 3_600].map((s) => s * 1_000));
    // Far past any exponent a double holds: still the cap, still a date.
    expect(new Set(delays.slice(12))).toEqual(new Set([CLEANUP_MAX_DELAY_MS]));
    expect(needsCleanup(p)).toBe(true);
    expect(cleanUpDone(p, endedAt).retry).toEqual({ attempt: 0, notBefore: null });
  });

  it('keeps a step cap longer than an hour', () => {
    const ended = cancelPipeline(at('training'), 'training.canceled_by_owner', endedAt);
    const slow: RetryPolicy = { maxAttempts: 5, baseDelayMs: 2 * CLEANUP_MAX_DELAY_MS, maxDelayMs: 3 * CLEANUP_MAX_DELAY_MS };
    expect(cleanupRetryLater(ended, slow, endedAt).retry.notBefore).toEqual(new Date(endedAt.getTime() + 2 * CLEANUP_MAX_DELAY_MS));
  });
});

describe('owesCancelAtTrainer: an ended pipeline whose training may still run at the trainer', () => {
  it('owes it once it got as far as submitting, with or without a recorded training id', () => {
    expect(owesCancelAtTrainer(cancelPipeline(at('training'), 'training.canceled_by_owner', endedAt))).toBe(true);
    const submitting = cancelPipeline(at('submitting'), 'training.canceled_by_owner', endedAt);
    expect(submitting.trainerTrainingId).toBeNull();
    expect(owesCancelAtTrainer(submitting)).toBe(true);
  });

  it('does not owe it before submitting, nor when the trainer ended the training itself, nor once succeeded', () => {
    expect(owesCancelAtTrainer(cancelPipeline(at('verifying_package'), 'training.canceled_by_owner', endedAt))).toBe(false);
    expect(owesCancelAtTrainer(failPipeline(at('training'), domainError('trainer.training_failed'), endedAt))).toBe(false);
    expect(owesCancelAtTrainer(cancelPipeline(at('training'), 'trainer.training_canceled', endedAt))).toBe(false);
    expect(owesCancelAtTrainer(failPipeline(at('training'), domainError('training.retries_exhausted'), endedAt))).toBe(true);
    const p = builder.training();
    expect(owesCancelAtTrainer(trainingSucceeded(p, succeededReport(p), modelId('m'), endedAt)._unsafeUnwrap().pipeline)).toBe(false);
  });
});

describe('currentStep: the step a failure is recorded against', () => {
  it.each([
    ['queued', 'verify_uploads'],
    ['verifying_uploads', 'verify_uploads'],
    ['packaging', 'package'],
    ['verifying_package', 'verify_package'],
    ['submitting', 'submit'],
    ['training', 'train'],
  ] as const)('a pipeline ended while %s failed in %s', (status, step) => {
    expect(currentStep(status)).toBe(step);
    expect(failPipeline(at(status), domainError('training.retries_exhausted'), endedAt).failure.step).toBe(step);
  });
});

describe('owesCancelAtTrainer on a recorded training id alone', () => {
  it('owes the stop for a recorded training id even without a submit step on record', () => {
    const ended = cancelPipeline(at('verifying_package'), 'training.canceled_by_owner', endedAt);
    expect(owesCancelAtTrainer({ ...ended, trainerTrainingId: 'trn-recorded' })).toBe(true);
  });
});
