import { sweepExpired, type CoreDeps, type SweepReport } from '@selfie-lora/core';

/** Runs `sweepExpired` now and then every `intervalMs` until stopped (docs/security.md "Housekeeping"). */
export interface Housekeeping {
  /** Clears the timer and waits for a sweep in flight. */
  stop(): Promise<void>;
}

export const DEFAULT_HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;

export function startHousekeeping(deps: CoreDeps, options: { intervalMs: number; onSwept?: (report: SweepReport) => void }): Housekeeping {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    timer = null;
    running = (async () => {
      const report = await sweepExpired(deps);
      if (report.isOk()) options.onSwept?.(report.value);
      // Several workers may sweep at once: each delete is idempotent, so they only repeat work.
      if (!stopped) timer = setTimeout(run, options.intervalMs).unref();
    })();
  };
  run();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
