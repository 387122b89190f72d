/**
 * A fixed set of reusable multipart part buffers. Memory for parts is bounded by `count x size`
 * by construction, and since the same buffers are refilled part after part, a long upload leaves
 * no trail of released part-sized Buffers for the GC to catch up with. Buffers are allocated on
 * first use, so a small body never allocates more than one.
 */
export class PartBuffers {
  private readonly free: Buffer[] = [];
  private allocated = 0;

  constructor(
    readonly size: number,
    readonly count: number,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`part size must be a positive integer, not ${size}`);
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`part buffer count must be a positive integer, not ${count}`);
  }

  /** A free buffer (its bytes are stale: the caller overwrites them), or `null` when all are in use. */
  take(): Buffer | null {
    const reused = this.free.pop();
    if (reused) return reused;
    if (this.allocated === this.count) return null;
    this.allocated += 1;
    return Buffer.allocUnsafe(this.size);
  }

  /** Gives a buffer back once nothing reads it any more (its part is stored). */
  release(buffer: Buffer): void {
    this.free.push(buffer);
  }

  /** How many buffers exist so far (never more than `count`). */
  get allocatedCount(): number {
    return this.allocated;
  }
}
