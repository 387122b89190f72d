import { describe, expect, it } from 'vitest';
import { createSleeper } from '../../src/worker/sleeper.js';

const HOUR = 3_600_000;

// A sleep that is not cut short would outlast the test's limit: these fail by hanging.
describe('the worker loop sleeper', () => {
  it('ends a rest when woken, and never loses a wake-up that came before the rest', async () => {
    const sleeper = createSleeper();
    const resting = sleeper.sleep(HOUR);
    sleeper.wakeUp();
    await resting;
    sleeper.wakeUp();
    await sleeper.sleep(HOUR);
  });

  it('a wake-up cuts one rest only', async () => {
    const sleeper = createSleeper();
    sleeper.wakeUp();
    await sleeper.sleep(HOUR);
    let second = false;
    void sleeper.sleep(20).then(() => {
      second = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(second).toBe(false);
  });

  it('once stopped, every rest ends at once', async () => {
    const sleeper = createSleeper();
    const resting = sleeper.sleep(HOUR);
    sleeper.stop();
    await resting;
    await sleeper.sleep(HOUR);
    await sleeper.sleep(HOUR);
  });
});
