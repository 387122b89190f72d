import { describe, expect, it } from 'vitest';
import { finishStep, startStep } from '../src/domain/pipeline/step-records.js';
import { minutesAfterStart } from './support/time.js';

// The step log: only a running step is closed; a closed one keeps its outcome and time.
describe('finishStep', () => {
  const running = startStep([], 'package', minutesAfterStart(1));

  it('closes the running step with its outcome, time and evidence', () => {
    expect(finishStep(running, 'failed', minutesAfterStart(2), null)).toEqual([
      { name: 'package', status: 'failed', startedAt: minutesAfterStart(1), finishedAt: minutesAfterStart(2), evidence: null },
    ]);
  });

  it('leaves a log whose last step is already closed, or which is empty, as it is', () => {
    const closed = finishStep(running, 'succeeded', minutesAfterStart(2), null);
    expect(finishStep(closed, 'canceled', minutesAfterStart(3), null)).toBe(closed);
    const empty: ReturnType<typeof startStep> = [];
    expect(finishStep(empty, 'canceled', minutesAfterStart(3), null)).toBe(empty);
  });
});
