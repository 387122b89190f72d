import { describe, expect, it } from 'vitest';
import { domainError } from '../src/domain/errors.js';
import { ERASED_TRIGGER_WORD, failPipeline, isScrubbed, scrubbedForErasure } from '../src/domain/training-pipeline.js';
import { alice } from './support/ids.js';
import { aPipeline } from './support/pipeline-builder.js';
import { minutesAfterStart } from './support/time.js';

// An erased owner's pipeline loses what the owner wrote; erasure writes only those not yet scrubbed.
describe('scrubbedForErasure / isScrubbed', () => {
  const ended = { ...failPipeline(aPipeline().ownedBy(alice).training(), domainError('trainer.training_failed'), minutesAfterStart(9)), idempotencyKey: 'key-1' };

  it('drops the trigger word and the idempotency key, and keeps ids, steps and evidence', () => {
    const scrubbed = scrubbedForErasure(ended);
    expect(scrubbed).toEqual({ ...ended, triggerWord: ERASED_TRIGGER_WORD, idempotencyKey: null });
    expect(isScrubbed(scrubbed)).toBe(true);
  });

  it('is not scrubbed while either the trigger word or the idempotency key is left', () => {
    expect(isScrubbed(ended)).toBe(false);
    expect(isScrubbed({ ...ended, idempotencyKey: null })).toBe(false);
    expect(isScrubbed({ ...ended, triggerWord: ERASED_TRIGGER_WORD })).toBe(false);
  });
});
