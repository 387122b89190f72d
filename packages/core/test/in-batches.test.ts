import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { inBatches } from '../src/use-cases/in-batches.js';

describe('inBatches', () => {
  it('keeps the order and never runs more than `size` tasks at once', async () => {
    let running = 0;
    let most = 0;
    const items = Array.from({ length: 1_001 }, (_, i) => i);
    const result = await inBatches(items, 4, (i) => {
      running += 1;
      most = Math.max(most, running);
      return ResultAsync.fromSafePromise(Promise.resolve().then(() => (running -= 1))).map(() => i * 2);
    });
    expect(result._unsafeUnwrap()).toEqual(items.map((i) => i * 2));
    expect(most).toBe(4);
  });

  it('stops at the first Err: no task of a later batch starts', async () => {
    const started: number[] = [];
    const result = await inBatches([0, 1, 2, 3, 4, 5], 2, (i) => {
      started.push(i);
      return i === 3 ? errAsync(`failed at ${i}`) : okAsync(i);
    });
    expect(result._unsafeUnwrapErr()).toBe('failed at 3');
    expect(started).toEqual([0, 1, 2, 3]);
  });

  it('answers an empty list at once, and goes through a very long one one at a time', async () => {
    expect((await inBatches([], 3, (i: number) => okAsync(i)))._unsafeUnwrap()).toEqual([]);
    // The audit reads owners one at a time: as many as a large service has must not pile up.
    const owners = Array.from({ length: 100_000 }, (_, i) => i);
    const result = await inBatches(owners, 1, (i) => okAsync(i));
    expect(result._unsafeUnwrap()).toHaveLength(100_000);
    expect(result._unsafeUnwrap()[99_999]).toBe(99_999);
  });
});
