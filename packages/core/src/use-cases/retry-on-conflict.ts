import { errAsync, type ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';

/**
 * Runs `attempt` again, up to `retries` more times, while it loses an optimistic-concurrency
 * race (`persistence.conflict`). For a person's command (cancel) racing the worker's step: the
 * worker keeps moving the pipeline, so re-reading and trying again is what the person meant.
 */
export function retryOnConflict<T, E extends DomainError>(retries: number, attempt: () => ResultAsync<T, E>): ResultAsync<T, E> {
  return attempt().orElse((error) =>
    error.code === 'persistence.conflict' && retries > 0 ? retryOnConflict(retries - 1, attempt) : errAsync(error),
  );
}
