import { okAsync, type ResultAsync } from 'neverthrow';
import type { PersistenceError } from '@selfie-lora/core';
import { windowStart, type RateLimit, type RateLimitAnswer, type RateLimiter } from '../rate-limits/rate-limiter.js';

/**
 * Fixed-window counters in this process's memory: right for one process (tests, an embedded
 * start, whose PostgreSQL no other process can reach); a deployment of several shares
 * `PostgresRateLimiter`. Same rules as it: a window never moves back, a late clock counts into
 * the newest window.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { start: number; used: number }>();

  take(limit: RateLimit, now: Date): ResultAsync<RateLimitAnswer, PersistenceError> {
    const start = windowStart(limit, now).getTime();
    const current = this.windows.get(limit.name);
    if (current === undefined || start > current.start) {
      this.windows.set(limit.name, { start, used: 1 });
      return okAsync({ granted: true });
    }
    if (current.used < limit.perWindow) {
      current.used += 1;
      return okAsync({ granted: true });
    }
    return okAsync({ granted: false, retryAt: new Date(current.start + limit.windowMs) });
  }
}
