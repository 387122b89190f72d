import { errAsync, ResultAsync } from 'neverthrow';
import pg from 'pg';
import { domainError, type PersistenceError } from '@selfie-lora/core';
import { windowStart, type RateLimit, type RateLimitAnswer, type RateLimiter } from '../rate-limits/rate-limiter.js';
import { persistenceError } from './postgres-errors.js';

export interface RateLimiterOptions {
  /** The database `PostgresDatabase` migrated (the windows live in its `rate_limit_windows` table). */
  readonly url: string;
  readonly schema?: string;
  readonly poolSize?: number;
  readonly statementTimeoutMs?: number;
}

// One statement takes a call: the upsert locks the limit's row, and its WHERE is judged on the
// newest version of it, so concurrent takers (any process) are counted one after another and
// never exceed `perWindow`. A newer window restarts the count; an older one (a late clock)
// counts into the stored window, which never moves back. When nothing was taken, the stored
// window says when the next one opens.
const TAKE = `
WITH taken AS (
  INSERT INTO rate_limit_windows AS w (name, window_start, used) VALUES ($1, $2, 1)
  ON CONFLICT (name) DO UPDATE
     SET window_start = GREATEST(w.window_start, EXCLUDED.window_start),
         used = CASE WHEN EXCLUDED.window_start > w.window_start THEN 1 ELSE w.used + 1 END
   WHERE EXCLUDED.window_start > w.window_start OR w.used < $3
  RETURNING w.window_start
)
SELECT true AS granted, window_start FROM taken
UNION ALL
SELECT false AS granted, window_start FROM rate_limit_windows
 WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM taken)`;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Fixed-window rate limits in PostgreSQL, shared by every process on the database. */
export class PostgresRateLimiter implements RateLimiter {
  private constructor(private readonly pool: pg.Pool) {}

  static open(options: RateLimiterOptions): ResultAsync<PostgresRateLimiter, PersistenceError> {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      return errAsync(domainError('persistence.unavailable', `schema name ${JSON.stringify(options.schema)} is not a plain identifier`));
    }
    const timeoutMs = options.statementTimeoutMs ?? 5_000;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 2,
      statement_timeout: timeoutMs,
      // A cut connection ends in a timeout, never a call to the trainer that waits forever.
      query_timeout: timeoutMs + 5_000,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
      application_name: 'selfie-lora-rate-limits',
    });
    // An idle client losing its connection must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    const limiter = new PostgresRateLimiter(pool);
    return ResultAsync.fromPromise(pool.query('SELECT 1 FROM rate_limit_windows LIMIT 0'), persistenceError)
      .map(() => limiter)
      .orElse((error) => limiter.close().andThen(() => errAsync<PostgresRateLimiter, PersistenceError>(error)));
  }

  take(limit: RateLimit, now: Date): ResultAsync<RateLimitAnswer, PersistenceError> {
    const start = windowStart(limit, now);
    return ResultAsync.fromPromise(
      this.pool.query<{ granted: boolean; window_start: Date }>(TAKE, [limit.name, start, limit.perWindow]),
      persistenceError,
    ).map(({ rows }): RateLimitAnswer => {
      const [row] = rows;
      if (row?.granted === true) return { granted: true };
      // Not granted: the next window after ours, or after the stored one if it is newer. No row
      // at all (another taker created it after this statement's snapshot) reads as ours.
      const stored = row?.window_start.getTime() ?? start.getTime();
      return { granted: false, retryAt: new Date(Math.max(stored, start.getTime()) + limit.windowMs) };
    });
  }

  close(): ResultAsync<void, PersistenceError> {
    return ResultAsync.fromPromise(this.pool.end(), persistenceError);
  }
}
