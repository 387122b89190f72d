import { err, ok, ResultAsync, type Result } from 'neverthrow';

/**
 * Runs `task` over `items` at most `size` at a time, results in order, stopping at the first
 * Err: a 50-photo set must not open 50 storage streams at once. A loop, not recursion: the
 * audit runs it over every owner, and each level of recursion kept a copy of the rest alive.
 */
export function inBatches<T, U, E>(
  items: readonly T[],
  size: number,
  task: (item: T) => ResultAsync<U, E>,
): ResultAsync<U[], E> {
  const run = async (): Promise<Result<U[], E>> => {
    const results: U[] = [];
    for (let start = 0; start < items.length; start += size) {
      const failed = await ResultAsync.combine(items.slice(start, start + size).map(task)).match(
        (values) => {
          for (const value of values) results.push(value);
          return null;
        },
        (error) => ({ error }),
      );
      if (failed !== null) return err(failed.error);
    }
    return ok(results);
  };
  return new ResultAsync(run());
}
