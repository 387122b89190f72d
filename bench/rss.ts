import { resourceUsage } from 'node:process';

const INTERVAL_MS = 20;

export interface RssReading {
  /** RSS right before the measured work (after a full GC). */
  readonly before: number;
  /** Highest RSS during the work. */
  readonly peak: number;
  readonly growth: number;
  /**
   * RSS after the work and two more full GCs, minus `before`: what the work left behind once its
   * garbage is collected (heap pages V8 keeps, allocator caches). A leak would show here.
   */
  readonly retained: number;
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

/** RSS after two full collections with a turn of the event loop between (steadier than one). Needs --expose-gc. */
async function rssAfterGc(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the worker with --expose-gc: RSS is measured after forced collections');
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return process.memoryUsage.rss();
}

/**
 * Peak RSS growth of this process during `work`. Samples every 20 ms, and also reads the
 * kernel's high-water mark: if that rose during the work, it is the exact peak (a sampler can miss
 * a spike while synchronous code holds the event loop); if not, the peak stayed under an earlier
 * high, and the samples are the best we know.
 */
export async function measureRss<T>(work: () => Promise<T>): Promise<{ value: T; rss: RssReading }> {
  const before = await rssAfterGc();
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
    clearInterval(timer);
    const retained = (await rssAfterGc()) - before;
    return { value, rss: { before, peak, growth: peak - before, retained, source: rose ? 'maxrss' : 'sampled', samples, atPeakSample } };
  } finally {
    clearInterval(timer);
  }
}
