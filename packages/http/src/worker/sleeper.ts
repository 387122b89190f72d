/**
 * The worker loop's rest between claims: `sleep` resolves after the delay, or at once when
 * `wakeUp` was called meanwhile (or just before: a wake-up is never lost), or once stopped.
 */
export interface Sleeper {
  readonly sleep: (ms: number) => Promise<void>;
  readonly wakeUp: () => void;
  /** Every later `sleep` resolves at once, and the current one ends. */
  readonly stop: () => void;
}

export function createSleeper(): Sleeper {
  let stopped = false;
  let woken = false;
  let rest: { timer: NodeJS.Timeout; resolve: () => void } | null = null;

  const wakeUp = () => {
    if (rest) {
      clearTimeout(rest.timer);
      const { resolve } = rest;
      rest = null;
      resolve();
    } else {
      woken = true;
    }
  };

  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        if (woken || stopped) {
          woken = false;
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          rest = null;
          resolve();
        }, ms);
        rest = { timer, resolve };
      }),
    wakeUp,
    stop: () => {
      stopped = true;
      wakeUp();
    },
  };
}
