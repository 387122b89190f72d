// An erased owner's pipelines keep their ids and evidence, but not what the owner wrote.
import type { TrainingPipeline } from './states.js';

/** The trigger word an erased owner's pipeline keeps: none (the owner chose the text). */
export const ERASED_TRIGGER_WORD = '';

/**
 * An erased owner's pipeline without what the owner wrote (trigger word, idempotency key); its
 * ids, steps and evidence stay, as the audit needs them. The only change ever allowed to those two.
 */
export function scrubbedForErasure<P extends TrainingPipeline>(p: P): P {
  return { ...p, triggerWord: ERASED_TRIGGER_WORD, idempotencyKey: null };
}

export function isScrubbed(p: TrainingPipeline): boolean {
  return p.triggerWord === ERASED_TRIGGER_WORD && p.idempotencyKey === null;
}
