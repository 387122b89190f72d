import type { ResultAsync } from 'neverthrow';
import type { PersistenceError } from '@selfie-lora/core';

/**
 * A limit on calls to an outside service, shared by everyone who names it: at most `perWindow`
 * calls in each fixed window of `windowMs`, windows aligned on the epoch so that every process
 * of a deployment agrees on where one ends.
 */
export interface RateLimit {
  /** Who shares it: every process taking from the same name counts against the same windows. */
  readonly name: string;
  readonly perWindow: number;
  readonly windowMs: number;
}

/** A call may go now, or not before `retryAt` (the start of a window that still has room). */
export type RateLimitAnswer = { readonly granted: true } | { readonly granted: false; readonly retryAt: Date };

/**
 * Grants calls against named limits. An adapter-level interface, not a core port: only adapters
 * that call a rate-limited service use it (the Replicate trainer), and what the core sees of a
 * refusal is what it already knows, a transient failure with a retry time (decision 74).
 * Time is the caller's `now` (an injected clock), as for the pipeline leases.
 */
export interface RateLimiter {
  /** Takes one call from `limit`'s window at `now`, or answers when the next window opens. */
  take(limit: RateLimit, now: Date): ResultAsync<RateLimitAnswer, PersistenceError>;
}

/** The start of the window `now` falls in (epoch-aligned). */
export function windowStart(limit: RateLimit, now: Date): Date {
  return new Date(Math.floor(now.getTime() / limit.windowMs) * limit.windowMs);
}

/** A limit's numbers must be positive whole numbers; a limit of zero would refuse every call forever. */
export function checkRateLimit(limit: RateLimit): RateLimit {
  if (!Number.isInteger(limit.perWindow) || limit.perWindow < 1) throw new TypeError(`rate limit ${limit.name}: perWindow must be a positive integer, got ${limit.perWindow}`);
  if (!Number.isInteger(limit.windowMs) || limit.windowMs < 1) throw new TypeError(`rate limit ${limit.name}: windowMs must be a positive integer, got ${limit.windowMs}`);
  return limit;
}
