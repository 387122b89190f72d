import pLimit, { type LimitFunction } from 'p-limit';

/** How much image work may run at once and wait in line (IMAGE_* settings). */
export interface ImageWorkLimits {
  /** Decodes and encodes running at once. libvips runs them on libuv's pool (4 threads by default),
   * which the S3 and Replicate clients also need (DNS, file reads): keep this below that size. */
  readonly concurrency: number;
  /** Jobs allowed to wait for a slot; one more is refused at once rather than queued. */
  readonly maxWaiting: number;
}

export const defaultImageWorkLimits: ImageWorkLimits = { concurrency: 2, maxWaiting: 16 };

/** Thrown (and translated to `upload.busy` at the adapter's edge) when the line is full. */
export class ImageQueueFull extends Error {
  constructor(readonly waiting: number) {
    super(`image work queue full: ${waiting} waiting`);
  }
}

/**
 * One bounded line for all image work of a process, so a burst of uploads (or one owner
 * sending many) costs at most `concurrency` decodes of CPU and memory at a time, and a backlog
 * past `maxWaiting` is answered with a clear error instead of growing without bound.
 */
export class ImageWorkQueue {
  private readonly limit: LimitFunction;

  constructor(readonly limits: ImageWorkLimits = defaultImageWorkLimits) {
    this.limit = pLimit(limits.concurrency);
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    if (this.limit.activeCount >= this.limits.concurrency && this.limit.pendingCount >= this.limits.maxWaiting) {
      return Promise.reject(new ImageQueueFull(this.limit.pendingCount));
    }
    return this.limit(job);
  }

  get active(): number {
    return this.limit.activeCount;
  }

  get waiting(): number {
    return this.limit.pendingCount;
  }
}
