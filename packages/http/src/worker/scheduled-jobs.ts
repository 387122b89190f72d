/**
 * Work the worker does besides advancing pipelines, on a schedule of its own (erasures owed, and
 * later photo retention). Each job runs, then rests `everyMs` (less when it did something: there
 * may be more), never two runs of one job at once. A job never throws out of its loop.
 */
export interface ScheduledJob {
  readonly name: string;
  readonly everyMs: number;
  /** One round; answers whether it did anything (then it runs again at once). */
  run(): Promise<boolean>;
}

export interface RunningJobs {
  /** Ends the rests, lets the runs in progress finish, and resolves. */
  stop(): Promise<void>;
}

export function startScheduledJobs(jobs: readonly ScheduledJob[], report: (error: unknown) => void): RunningJobs {
  let stopping = false;
  const wakers = new Set<() => void>();
  const rest = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      wakers.add(done);
    });
  const loops = jobs.map(async (job) => {
    while (!stopping) {
      let busy = false;
      try {
        busy = await job.run();
      } catch (cause) {
        report(cause);
      }
      if (!busy && !stopping) await rest(job.everyMs);
    }
  });
  return {
    stop: async () => {
      stopping = true;
      for (const wake of [...wakers]) wake();
      await Promise.all(loops);
    },
  };
}
