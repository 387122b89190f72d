import { resourceUsage } from 'node:process';

const INTERVAL_MS = 20;

export interface RssReading {
  /** RSS right before the measured work (after a full GC). */
  readonly before: number;
  /** Highest RSS during the work. */
  readonly peak: number;
  readonly growth: number;
  /** How the peak was found: the kernel's high-water mark, or sampling. */
  readonly source: 'maxrss' | 'sampled';
  readonly samples: number;
  /** process.memoryUsage() at the highest sample: where the memory was (JS heap, Buffers...). */
  readonly atPeakSample: NodeJS.MemoryUsage;
}

/** The kernel's high-water mark of this process's RSS, in bytes (Linux reports KiB). */
function maxRss(): number {
  return resourceUsage().maxRSS * 1024;
}

/**
 * Peak RSS growth of this process during `work`. Samples every 20 ms, and also reads the
 * kernel's high-water mark: if that rose during the work, it is the exact peak (a sampler can miss
 * a spike while synchronous code holds the event loop); if not, the peak stayed under an earlier
 * high, and the samples are the best we know.
 */
export async function measureRss<T>(work: () => Promise<T>): Promise<{ value: T; rss: RssReading }> {
  // Two full collections with a turn of the event loop between: a steadier baseline than one.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((resolve) => setImmediate(resolve));
  gc?.();
  const before = process.memoryUsage.rss();
  const highBefore = maxRss();
  let sampled = before;
  let atPeakSample = process.memoryUsage();
  let samples = 0;
  const sample = (): void => {
    samples += 1;
    // rss() alone is cheap; the full breakdown only when a new high is seen.
    const rss = process.memoryUsage.rss();
    if (rss > sampled) {
      atPeakSample = process.memoryUsage();
      sampled = Math.max(rss, atPeakSample.rss);
    }
  };
  const timer = setInterval(sample, INTERVAL_MS);
  try {
    const value = await work();
    sample();
    const highAfter = maxRss();
    const rose = highAfter > highBefore;
    const peak = rose ? Math.max(highAfter, sampled) : sampled;
    return { value, rss: { before, peak, growth: peak - before, source: rose ? 'maxrss' : 'sampled', samples, atPeakSample } };
  } finally {
    clearInterval(timer);
  }
}
