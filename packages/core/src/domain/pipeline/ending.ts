// How a pipeline ends (failed, canceled) and what an ended one owes: its clean-up.
import { errorMessages, type DomainError, type ErrorCode } from '../errors.js';
import { currentStep, type Failure, type FailedOrCanceledPipeline, type ActivePipeline, type TerminalPipeline } from './states.js';
import { FRESH_RETRY, finishStep } from './step-records.js';

function end(
  p: ActivePipeline,
  status: 'failed' | 'canceled',
  code: ErrorCode,
  now: Date,
): FailedOrCanceledPipeline {
  const failure: Failure = { step: currentStep(p.status), code, message: errorMessages[code] };
  return {
    ...p,
    status,
    failure,
    package: 'package' in p ? p.package : null,
    trainerTrainingId: 'trainerTrainingId' in p ? p.trainerTrainingId : null,
    steps: finishStep(p.steps, status === 'failed' ? 'failed' : 'canceled', now, null),
    retry: FRESH_RETRY,
    packageDeletedAt: null,
    updatedAt: now,
  };
}

/** Verification failures are final; a restart makes a new pipeline. */
export function failPipeline(p: ActivePipeline, error: DomainError, now: Date): FailedOrCanceledPipeline {
  return end(p, 'failed', error.code, now);
}

export function cancelPipeline(
  p: ActivePipeline,
  reason: 'training.canceled_by_owner' | 'training.canceled_upload_deleted' | 'trainer.training_canceled',
  now: Date,
): FailedOrCanceledPipeline {
  return end(p, 'canceled', reason, now);
}

/** The clean-up is done; any backoff of earlier failed tries is cleared. */
export function cleanUpDone<P extends TerminalPipeline>(p: P, now: Date): P {
  return { ...p, packageDeletedAt: now, retry: FRESH_RETRY, updatedAt: now };
}

/**
 * A terminal pipeline owes clean-up once packaging began (a half-written ZIP may exist even if
 * none was recorded) until its package key has been deleted.
 */
export function needsCleanup(p: TerminalPipeline): boolean {
  return p.packageDeletedAt === null && p.steps.some((step) => step.name === 'package');
}

/**
 * An ended pipeline whose training may still be running at the trainer, and must be stopped
 * there: it got as far as submitting (with or without a recorded training id), and the trainer
 * did not end the training itself. Every such pipeline began packaging, so it is owed while
 * `needsCleanup` holds, and the clean-up stops it.
 */
export function owesCancelAtTrainer(p: TerminalPipeline): p is FailedOrCanceledPipeline {
  if (p.status === 'succeeded') return false;
  if (p.failure.code === 'trainer.training_failed' || p.failure.code === 'trainer.training_canceled') return false;
  return p.trainerTrainingId !== null || p.steps.some((step) => step.name === 'submit');
}
