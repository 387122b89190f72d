import { err, errAsync, ok, ResultAsync, type Result } from 'neverthrow';
import { DataSource, type QueryRunner } from 'typeorm';
import { domainError, type PersistenceError, type Repositories, type UnitOfWork } from '@selfie-lora/core';
import { InitialSchema1714550400000 } from './migrations/1714550400000-initial-schema.js';
import { PipelineSchedule1714636800000 } from './migrations/1714636800000-pipeline-schedule.js';
import { ModelProvenanceOnInsert1714723200000 } from './migrations/1714723200000-model-provenance-on-insert.js';
import { PipelineTrainingFixed1714809600000 } from './migrations/1714809600000-pipeline-training-fixed.js';
import { Erasures1796231362279 } from './migrations/1796231362279-erasures.js';
import { UploadSourceAndChecks1796231741722 } from './migrations/1796231741722-upload-source-and-checks.js';
import { UploadSlots1796232000000 } from './migrations/1796232000000-upload-slots.js';
import { PipelineOwnerTextErasable1796281400000 } from './migrations/1796281400000-pipeline-owner-text-erasable.js';
import { RateLimitWindows1796300000000 } from './migrations/1796300000000-rate-limit-windows.js';
import { PendingUploads1796400000000 } from './migrations/1796400000000-pending-uploads.js';
import { PipelinesAwaitingTrainer1796500000000 } from './migrations/1796500000000-pipelines-awaiting-trainer.js';
import { pendingUploadRepository } from './pending-upload-repository.js';
import { erasureRepository } from './erasure-repository.js';
import { modelRepository } from './model-repository.js';
import { ownerRepository } from './owner-repository.js';
import { pipelineRepository } from './pipeline-repository.js';
import { persistenceError } from './postgres-errors.js';
import { SqlSession } from './sql-session.js';
import { uploadRepository } from './upload-repository.js';
import { uploadSlotRepository } from './upload-slot-repository.js';
import { webhookDeliveryRepository } from './webhook-delivery-repository.js';

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database` */
  readonly url: string;
  /** A schema of its own (created if missing); default: the server's search path, usually `public`. */
  readonly schema?: string;
  /** Run pending migrations on start-up (default true), serialised between processes by an advisory lock. */
  readonly migrate?: boolean;
  readonly poolSize?: number;
  readonly connectTimeoutMs?: number;
  /** Server-side limit per statement, so a stuck query ends as a transient error (default 15 s). */
  readonly statementTimeoutMs?: number;
}

/** Every migration, in order. Explicit class references: TypeORM never scans files or synchronises. */
export const postgresMigrations = [
  InitialSchema1714550400000,
  PipelineSchedule1714636800000,
  ModelProvenanceOnInsert1714723200000,
  PipelineTrainingFixed1714809600000,
  Erasures1796231362279,
  UploadSourceAndChecks1796231741722,
  UploadSlots1796232000000,
  PipelineOwnerTextErasable1796281400000,
  RateLimitWindows1796300000000,
  PendingUploads1796400000000,
  PipelinesAwaitingTrainer1796500000000,
];

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
// Any fixed number, shared by every process migrating this database.
const MIGRATION_LOCK = 7_340_101;

function dataSourceFor(options: PostgresOptions): DataSource {
  const searchPath = options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` };
  return new DataSource({
    type: 'postgres',
    url: options.url,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    entities: [],
    migrations: postgresMigrations,
    migrationsRun: false,
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: false,
    poolSize: options.poolSize ?? 10,
    connectTimeoutMS: options.connectTimeoutMs ?? 5_000,
    applicationName: 'selfie-lora',
    // statement_timeout is the server's; query_timeout (client side) also ends a query whose
    // connection was cut without a reset, and keepAlive finds such connections when idle.
    extra: {
      ...searchPath,
      statement_timeout: options.statementTimeoutMs ?? 15_000,
      query_timeout: (options.statementTimeoutMs ?? 15_000) + 5_000,
      keepAlive: true,
    },
  });
}

function attempt<T>(task: () => Promise<T>): ResultAsync<T, PersistenceError> {
  return ResultAsync.fromPromise(Promise.resolve().then(task), persistenceError);
}

async function rollbackQuietly(runner: QueryRunner): Promise<void> {
  try {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
  } catch {
    // The connection is gone or the transaction already ended; either way nothing was committed.
  }
}

async function commit<T>(runner: QueryRunner, session: SqlSession, value: T): Promise<Result<T, PersistenceError>> {
  const aborted = await session.settled();
  if (aborted) {
    // Postgres would answer COMMIT with a silent ROLLBACK: report why instead.
    await rollbackQuietly(runner);
    return err(aborted);
  }
  try {
    await runner.commitTransaction();
    return ok(value);
  } catch (cause) {
    // A deferred constraint (a pipeline without its whole training set) fails here.
    await rollbackQuietly(runner);
    return err(persistenceError(cause));
  }
}

/** The core's UnitOfWork on PostgreSQL: each `transaction` is one database transaction. */
export class PostgresDatabase implements UnitOfWork {
  private constructor(private readonly dataSource: DataSource) {}

  static open(options: PostgresOptions): ResultAsync<PostgresDatabase, PersistenceError> {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      return errAsync(domainError('persistence.unavailable', `schema name ${JSON.stringify(options.schema)} is not a plain identifier`));
    }
    const dataSource = dataSourceFor(options);
    const database = new PostgresDatabase(dataSource);
    return attempt(() => dataSource.initialize())
      .andThen(() => (options.migrate === false ? ResultAsync.fromSafePromise(Promise.resolve()) : database.migrate(options.schema)))
      .map(() => database)
      .orElse((error) => database.close().andThen(() => errAsync<PostgresDatabase, PersistenceError>(error)).orElse(() => errAsync(error)));
  }

  transaction<T, E>(work: (repositories: Repositories) => ResultAsync<T, E>): ResultAsync<T, E | PersistenceError> {
    return new ResultAsync(this.run(work));
  }

  /** Closes the pool; the database is unusable afterwards. */
  close(): ResultAsync<void, PersistenceError> {
    return attempt(async () => {
      if (this.dataSource.isInitialized) await this.dataSource.destroy();
    });
  }

  /** Applies pending migrations under an advisory lock, so several processes may start at once. */
  private migrate(schema: string | undefined): ResultAsync<void, PersistenceError> {
    return attempt(async () => {
      const runner = this.dataSource.createQueryRunner();
      try {
        await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
        try {
          if (schema !== undefined) await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
          await this.dataSource.runMigrations({ transaction: 'all' });
        } finally {
          await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
        }
      } finally {
        await runner.release();
      }
    });
  }

  // Commit on Ok, roll back on Err or on a throw; nothing escapes as an exception.
  private async run<T, E>(work: (repositories: Repositories) => ResultAsync<T, E>): Promise<Result<T, E | PersistenceError>> {
    let runner: QueryRunner;
    try {
      runner = this.dataSource.createQueryRunner();
    } catch (cause) {
      return err(persistenceError(cause));
    }
    try {
      await runner.startTransaction();
    } catch (cause) {
      await runner.release();
      return err(persistenceError(cause));
    }
    try {
      const session = new SqlSession(runner);
      // A throw inside the work, or a rejected promise, counts as an Err.
      const worked = ResultAsync.fromPromise(
        Promise.resolve().then(() => work(repositoriesOn(session))),
        persistenceError,
      ).andThen((result) => result);
      return await worked.match(
        async (value) => commit(runner, session, value),
        async (error): Promise<Result<T, E | PersistenceError>> => {
          await rollbackQuietly(runner);
          return err(error);
        },
      );
    } finally {
      await runner.release();
    }
  }
}

function repositoriesOn(session: SqlSession): Repositories {
  return {
    owners: ownerRepository(session),
    uploads: uploadRepository(session),
    pipelines: pipelineRepository(session),
    models: modelRepository(session),
    webhookDeliveries: webhookDeliveryRepository(session),
    erasures: erasureRepository(session),
    uploadSlots: uploadSlotRepository(session),
    pendingUploads: pendingUploadRepository(session),
  };
}

/** Connects, migrates (unless told not to) and returns the database, or why it could not. */
export function createPostgresDatabase(options: PostgresOptions): ResultAsync<PostgresDatabase, PersistenceError> {
  return PostgresDatabase.open(options);
}
