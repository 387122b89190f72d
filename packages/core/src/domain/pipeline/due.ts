// The lifecycle rule the worker and the SQL copies follow: is work left, and when is it due.
import { isActive, type TrainingPipeline } from './states.js';
import { needsCleanup } from './ending.js';

/** The lifecycle rule (one source): a pipeline has work left while a step is open or clean-up is owed. */
export function isUnfinished(p: TrainingPipeline): boolean {
  return isActive(p) || needsCleanup(p);
}

/**
 * When an unfinished pipeline is next worth a look (null once finished): a retry time ahead
 * (a step's, or a failed clean-up's backoff) says when; a training waiting for the trainer comes
 * back after `trainingPollIntervalMs` (its own poll, longer when a sweep asks about all trainings
 * at once) and an ended pipeline owing clean-up after the poll interval; any other step is due now.
 */
export function nextDueAt(p: TrainingPipeline, now: Date, pollIntervalMs: number, trainingPollIntervalMs = pollIntervalMs): Date | null {
  if (!isUnfinished(p)) return null;
  if (p.retry.notBefore !== null && p.retry.notBefore > now) return p.retry.notBefore;
  if (p.status === 'training') return new Date(now.getTime() + trainingPollIntervalMs);
  if (!isActive(p)) return new Date(now.getTime() + pollIntervalMs);
  return now;
}
