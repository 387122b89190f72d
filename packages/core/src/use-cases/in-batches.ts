import { okAsync, ResultAsync } from 'neverthrow';

/**
 * Runs `task` over `items` at most `size` at a time, results in order, stopping at the first
 * Err: a 50-photo set must not open 50 storage streams at once.
 */
export function inBatches<T, U, E>(
  items: readonly T[],
  size: number,
  task: (item: T) => ResultAsync<U, E>,
): ResultAsync<U[], E> {
  if (items.length === 0) return okAsync([]);
  const batch = items.slice(0, size);
  return ResultAsync.combine(batch.map(task)).andThen((results) =>
    inBatches(items.slice(size), size, task).map((rest) => [...results, ...rest]),
  );
}
