// The step log every state carries: a step opens when its state is entered and closes with evidence.
import type { StepName, StepEvidence, StepRecord, RetryState } from './states.js';

export const FRESH_RETRY: RetryState = { attempt: 0, notBefore: null };

export function startStep(steps: readonly StepRecord[], name: StepName, now: Date): readonly StepRecord[] {
  return [...steps, { name, status: 'running', startedAt: now, finishedAt: null, evidence: null }];
}

export function finishStep(
  steps: readonly StepRecord[],
  status: StepRecord['status'],
  now: Date,
  evidence: StepEvidence | null,
): readonly StepRecord[] {
  const last = steps.at(-1);
  if (!last || last.status !== 'running') return steps;
  return [...steps.slice(0, -1), { ...last, status, finishedAt: now, evidence }];
}
