// Backoff for steps that met transport trouble (bounded) and for clean-ups (never given up).
import { domainError } from '../errors.js';
import { failPipeline } from './ending.js';
import type { FailedOrCanceledPipeline, ActivePipeline, TerminalPipeline } from './states.js';
import { FRESH_RETRY } from './step-records.js';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 2_000, maxDelayMs: 60_000 };

/** `baseDelayMs` doubled per attempt after the first, capped at `maxDelayMs` (the exponent too, so it never overflows). */
function backoffMs(baseDelayMs: number, maxDelayMs: number, attempt: number): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt - 1, 52));
}

/**
 * The longest wait a dependency's `Retry-After` can impose on a step; a longer one is taken as
 * this (the audit's `pipeline.stuck` then tells an operator the trainer keeps refusing).
 */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * A transient failure inside a step: try again later, or give up when the budget is spent. When
 * the dependency said when to come back (a 429's `Retry-After`, `retryAfterMs`), the step waits
 * at least that long and the answer does not count against the budget: being told to wait is
 * not failing (decision 74).
 */
export function retryLater<P extends ActivePipeline>(p: P, policy: RetryPolicy, now: Date, retryAfterMs?: number): P | FailedOrCanceledPipeline {
  if (retryAfterMs !== undefined && retryAfterMs > 0) {
    const delay = Math.min(MAX_RETRY_AFTER_MS, Math.max(policy.baseDelayMs, retryAfterMs));
    return { ...p, retry: { attempt: p.retry.attempt, notBefore: new Date(now.getTime() + delay) }, updatedAt: now };
  }
  const attempt = p.retry.attempt + 1;
  if (attempt >= policy.maxAttempts) return failPipeline(p, domainError('training.retries_exhausted'), now);
  const delay = backoffMs(policy.baseDelayMs, policy.maxDelayMs, attempt);
  return { ...p, retry: { attempt, notBefore: new Date(now.getTime() + delay) }, updatedAt: now };
}

/**
 * The longest an ended pipeline's clean-up waits between tries (unless the step policy's cap is
 * longer). The steps' cap (a minute by default) suits a bounded budget; a clean-up is never given
 * up, so against a trainer that keeps refusing (429s) its tries thin out to one an hour.
 */
export const CLEANUP_MAX_DELAY_MS = 3_600_000;

/** The wait before try `attempt` + 1 of work that is never given up (a clean-up, an erasure owed). */
export function cleanupBackoffMs(policy: RetryPolicy, attempt: number): number {
  return backoffMs(policy.baseDelayMs, Math.max(policy.maxDelayMs, CLEANUP_MAX_DELAY_MS), attempt);
}

/**
 * The clean-up of an ended pipeline failed (the trainer or the store did not answer): try again
 * no sooner than `retry.notBefore`, backing off as the steps do (`policy.baseDelayMs` doubled per
 * consecutive failure) up to `CLEANUP_MAX_DELAY_MS`. Never gives up: the audit's
 * `pipeline.stuck` reports a clean-up owed past `stuckAfterMs`, measured from `updatedAt`, which
 * is therefore left as it was (a retry is not progress).
 */
export function cleanupRetryLater<P extends TerminalPipeline>(p: P, policy: RetryPolicy, now: Date): P {
  const attempt = p.retry.attempt + 1;
  const delay = cleanupBackoffMs(policy, attempt);
  return { ...p, retry: { attempt, notBefore: new Date(now.getTime() + delay) } };
}

/**
 * The step got a good answer (a poll saying the training is still running): it is not failing,
 * so earlier transport trouble stops counting. The retry bound is for a step that keeps failing,
 * not for isolated blips spread over a long training. Returns `p` itself when there is nothing
 * to clear, so a caller writes only when a retry was pending.
 */
export function stepAnswered<P extends ActivePipeline>(p: P, now: Date): P {
  if (p.retry.attempt === 0 && p.retry.notBefore === null) return p;
  return { ...p, retry: FRESH_RETRY, updatedAt: now };
}
