import type { Clock } from '@selfie-lora/core';
import { checkRateLimit, type RateLimit, type RateLimiter } from '../rate-limits/rate-limiter.js';

/** Replicate's published limits (https://replicate.com/docs/topics/predictions/rate-limits). */
export const REPLICATE_CREATE_PER_MINUTE = 600;
export const REPLICATE_CALLS_PER_MINUTE = 3_000;

export interface ReplicateRateLimits {
  /** Shared by every process of the deployment (`PostgresRateLimiter`), or this process's (`MemoryRateLimiter`). */
  readonly limiter: RateLimiter;
  readonly clock: Clock;
  /** Trainings created (`POST .../versions/{id}/trainings`) a minute; Replicate allows 600, accounts with little credit less. */
  readonly createPerMinute: number;
  /** Every other request a minute; Replicate allows 3,000. */
  readonly callsPerMinute: number;
  /** How long a request may wait here for the next window before it is answered "later" instead (default 1 s). */
  readonly maxWaitMs?: number;
  /** How to wait; tests pass one that moves their clock. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Names the limits in the limiter; processes using one Replicate account must share it (default `replicate`). */
  readonly name?: string;
}

const MINUTE_MS = 60_000;
/** After the limiter itself failed, requests are refused here this long without asking it again. */
const LIMITER_FAILURE_PAUSE_MS = 1_000;

/** `POST /v1/models/{owner}/{name}/versions/{id}/trainings`: the call Replicate limits to 600 a minute. */
const CREATE_TRAINING_PATH = /\/models\/[^/]+\/[^/]+\/versions\/[^/]+\/trainings$/;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function answer(status: number, detail: string, retryAfterSeconds?: number): Response {
  const headers = new Headers({ 'content-type': 'application/json' });
  if (retryAfterSeconds !== undefined) headers.set('retry-after', String(retryAfterSeconds));
  return new Response(JSON.stringify({ status, detail }), { status, statusText: 'Not Sent (deployment rate limit)', headers });
}

interface Closed {
  readonly until: number;
  /** The limiter refused (the window is full), or could not be asked. */
  readonly kind: 'full' | 'failed';
  readonly detail: string;
}

/**
 * Admits each HTTP request to Replicate against the deployment's limits, before it is sent: a
 * request the limiter grants goes out; one it refuses waits for the next window when that is
 * within `maxWaitMs`, else it is answered here as Replicate would, 429 with `Retry-After`, so the
 * step that made it waits like for Replicate's own 429 (decision 74) and nothing was sent. Every
 * request counts, the `replicate` client's own retries included, since Replicate counts them too.
 * A refusal is remembered until its window ends, so the client's immediate retries of that 429
 * are answered without asking the limiter again.
 */
export class ReplicateCallGate {
  private readonly create: RateLimit;
  private readonly calls: RateLimit;
  private readonly maxWaitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly closed = new Map<string, Closed>();

  constructor(private readonly limits: ReplicateRateLimits) {
    const name = limits.name ?? 'replicate';
    this.create = checkRateLimit({ name: `${name}:create-training`, perWindow: limits.createPerMinute, windowMs: MINUTE_MS });
    this.calls = checkRateLimit({ name: `${name}:calls`, perWindow: limits.callsPerMinute, windowMs: MINUTE_MS });
    this.maxWaitMs = limits.maxWaitMs ?? 1_000;
    if (!Number.isInteger(this.maxWaitMs) || this.maxWaitMs < 0) throw new TypeError(`ReplicateTrainer: rate limit maxWaitMs must be a whole number >= 0, got ${this.maxWaitMs}`);
    this.sleep = limits.sleep ?? delay;
  }

  /** Null: send the request now. A response: answer it instead; the request was not sent. */
  async admit(method: string, url: string): Promise<Response | null> {
    const limit = method.toUpperCase() === 'POST' && CREATE_TRAINING_PATH.test(new URL(url).pathname) ? this.create : this.calls;
    let waited = 0;
    for (;;) {
      const now = this.limits.clock.now().getTime();
      let closed = this.closed.get(limit.name);
      if (closed === undefined || closed.until <= now) {
        const taken = await this.limits.limiter.take(limit, new Date(now));
        const next = taken.match(
          (refused): Closed | null => refused.granted ? null : ({
            until: refused.retryAt.getTime(),
            kind: 'full',
            detail: `the deployment's limit ${limit.name} (${limit.perWindow} a minute) is used up`,
          }),
          (error): Closed => ({ until: now + LIMITER_FAILURE_PAUSE_MS, kind: 'failed', detail: `the rate limiter could not be asked: ${error.detail ?? error.message}` }),
        );
        if (next === null) return null;
        closed = next;
        this.closed.set(limit.name, closed);
      }
      if (closed.kind === 'failed') return answer(503, closed.detail);
      // At least 1 ms a round, so the waits add up to the bound even if a window ended already.
      const wait = Math.max(1, closed.until - now);
      if (waited + wait > this.maxWaitMs) return answer(429, closed.detail, Math.max(1, Math.ceil(wait / 1000)));
      await this.sleep(wait);
      waited += wait;
    }
  }
}
