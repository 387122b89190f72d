import { errAsync, ResultAsync } from 'neverthrow';
import pg from 'pg';
import { domainError, PipelineId, type ClaimRequest, type PersistenceError, type PipelineLeases } from '@selfie-lora/core';
import { persistenceError } from './postgres-errors.js';
import { unfinishedPipelineSql } from './unfinished-pipeline-sql.js';

export interface PipelineLeasesOptions {
  /** The database `PostgresDatabase` migrated (the leases live in its `pipeline_schedule` table). */
  readonly url: string;
  readonly schema?: string;
  readonly poolSize?: number;
  readonly statementTimeoutMs?: number;
}


// One statement: the rows are locked as they are picked, and rows another claim holds are
// skipped rather than waited for, so two workers never lease the same pipeline.
const CLAIM = `
WITH due AS (
  SELECT s.pipeline_id FROM pipeline_schedule s JOIN pipelines p ON p.id = s.pipeline_id
   WHERE s.next_check_at <= $2 AND (s.leased_until IS NULL OR s.leased_until <= $2) AND ${unfinishedPipelineSql('p')}
   ORDER BY s.next_check_at, s.pipeline_id
   LIMIT $3
   FOR UPDATE OF s SKIP LOCKED
)
UPDATE pipeline_schedule s SET leased_by = $1, leased_until = $4
  FROM due WHERE s.pipeline_id = due.pipeline_id
RETURNING s.pipeline_id`;

// Only the holder gives a lease back; one that expired and was claimed again stays with its new holder.
const GIVE_BACK = `
UPDATE pipeline_schedule SET next_check_at = $3, leased_by = NULL, leased_until = NULL
 WHERE pipeline_id = $2 AND leased_by = $1`;

// Only the holder renews: an expired lease nobody claimed since still names it; a claim by
// another worker or a give-back does not. The row goes with its pipeline (ON DELETE CASCADE).
const RENEW = `
UPDATE pipeline_schedule SET leased_until = $3
 WHERE pipeline_id = $2 AND leased_by = $1
RETURNING pipeline_id`;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Worker leases in PostgreSQL (`FOR UPDATE SKIP LOCKED`), shared by every worker process on the database. */
export class PostgresPipelineLeases implements PipelineLeases {
  private constructor(private readonly pool: pg.Pool) {}

  static open(options: PipelineLeasesOptions): ResultAsync<PostgresPipelineLeases, PersistenceError> {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      return errAsync(domainError('persistence.unavailable', `schema name ${JSON.stringify(options.schema)} is not a plain identifier`));
    }
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 2,
      statement_timeout: options.statementTimeoutMs ?? 15_000,
      // As in the database's pool: a cut connection ends in a timeout, never a claim that hangs.
      query_timeout: (options.statementTimeoutMs ?? 15_000) + 5_000,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
      application_name: 'selfie-lora-worker',
    });
    // An idle client losing its connection must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    const leases = new PostgresPipelineLeases(pool);
    return ResultAsync.fromPromise(pool.query('SELECT 1 FROM pipeline_schedule LIMIT 0'), persistenceError)
      .map(() => leases)
      .orElse((error) => leases.close().andThen(() => errAsync<PostgresPipelineLeases, PersistenceError>(error)));
  }

  claim({ workerId, limit, leaseMs, now }: ClaimRequest): ResultAsync<readonly PipelineId[], PersistenceError> {
    const until = new Date(now.getTime() + leaseMs);
    return this.query<{ pipeline_id: string }>(CLAIM, [workerId, now, Math.max(0, Math.floor(limit)), until]).map((rows) =>
      rows.flatMap((row) => PipelineId.parse(row.pipeline_id).match((id) => [id], () => [])),
    );
  }

  defer({ workerId, id, until }: { workerId: string; id: PipelineId; until: Date }): ResultAsync<void, PersistenceError> {
    return this.query(GIVE_BACK, [workerId, id, until]).map(() => undefined);
  }

  release({ workerId, id }: { workerId: string; id: PipelineId }): ResultAsync<void, PersistenceError> {
    return this.query(GIVE_BACK, [workerId, id, '-infinity']).map(() => undefined);
  }

  renew({ workerId, id, until }: { workerId: string; id: PipelineId; until: Date }): ResultAsync<boolean, PersistenceError> {
    return this.query<{ pipeline_id: string }>(RENEW, [workerId, id, until]).map((rows) => rows.length === 1);
  }

  close(): ResultAsync<void, PersistenceError> {
    return ResultAsync.fromPromise(this.pool.end(), persistenceError);
  }

  private query<R extends pg.QueryResultRow>(text: string, params: unknown[]): ResultAsync<R[], PersistenceError> {
    return ResultAsync.fromPromise(this.pool.query<R>(text, params), persistenceError).map((result) => result.rows);
  }
}
