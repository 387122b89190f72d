import { err, errAsync, ok, ResultAsync, type Result } from 'neverthrow';
import type { PersistenceError } from '@selfie-lora/core';
import type { QueryRunner } from 'typeorm';
import { persistenceError } from './postgres-errors.js';

/** Runs one statement and gives back the rows it returned (RETURNING included). */
export type Sql = (text: string, params?: readonly unknown[]) => ResultAsync<readonly unknown[], PersistenceError>;

const SAVEPOINT = 'repository_write';

/**
 * One transaction's connection. Statements run one at a time, in call order, even if the work
 * starts several at once. Each write runs inside a savepoint: a refused write is undone alone
 * and leaves the transaction usable, exactly as if it had never been tried.
 */
export class SqlSession {
  private tail: Promise<unknown> = Promise.resolve();
  /** Set when a statement failed outside a savepoint: Postgres then refuses the rest of the transaction. */
  private aborted: PersistenceError | null = null;

  constructor(private readonly runner: QueryRunner) {}

  readonly read: Sql = (text, params) => this.serial(() => this.statement(text, params).mapErr((error) => this.abort(error)));

  /** Runs `body` in a savepoint: released when it returns Ok, rolled back when it returns Err. */
  write<T>(body: (sql: Sql) => ResultAsync<T, PersistenceError>): ResultAsync<T, PersistenceError> {
    const statement: Sql = (text, params) => this.statement(text, params);
    return this.serial(() =>
      statement(`SAVEPOINT ${SAVEPOINT}`)
        .andThen(() => body(statement))
        .andThen((value) => statement(`RELEASE SAVEPOINT ${SAVEPOINT}`).map(() => value))
        .orElse((error) =>
          statement(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`)
            .mapErr((failed) => this.abort(failed))
            .andThen(() => errAsync<T, PersistenceError>(error))
            .orElse(() => errAsync<T, PersistenceError>(error)),
        ),
    );
  }

  /**
   * Resolves once every statement started so far has finished, with the error that made the
   * transaction unusable, if any: COMMIT would then quietly roll back, so it must not be reported as done.
   */
  settled(): Promise<PersistenceError | null> {
    return this.tail.then(() => this.aborted);
  }

  private abort(error: PersistenceError): PersistenceError {
    this.aborted ??= error;
    return error;
  }

  private statement(text: string, params?: readonly unknown[]): ResultAsync<readonly unknown[], PersistenceError> {
    return ResultAsync.fromPromise(this.runner.query(text, params ? [...params] : undefined, true), persistenceError).map(
      (result: { records?: unknown }) => (Array.isArray(result.records) ? (result.records as unknown[]) : []),
    );
  }

  private serial<T>(task: () => PromiseLike<Result<T, PersistenceError>>): ResultAsync<T, PersistenceError> {
    // Once Postgres has abandoned the transaction every statement would fail with 25P02; answer
    // with the error that caused it (a timeout stays transient) without asking again.
    const run = this.tail.then(() => (this.aborted ? err<T, PersistenceError>(this.aborted) : task())).then(
      (result) => result,
      (cause: unknown) => err<T, PersistenceError>(persistenceError(cause)),
    );
    this.tail = run;
    return new ResultAsync(run);
  }
}

/** For rows a statement must return: none means the write did not happen. */
export function exactlyOne(rows: readonly unknown[], none: () => PersistenceError): Result<unknown, PersistenceError> {
  return rows.length === 1 ? ok(rows[0]) : err(rows.length === 0 ? none() : persistenceError(new Error(`${rows.length} rows where one was expected`)));
}
