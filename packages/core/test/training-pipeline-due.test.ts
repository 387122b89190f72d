import { describe, expect, it } from 'vitest';
import { domainError } from '../src/domain/errors.js';
import {
  defaultRetryPolicy,
  failPipeline,
  nextDueAt,
  cleanUpDone,
  PIPELINE_STATUSES,
  retryLater,
  type ActiveStatus,
} from '../src/domain/training-pipeline.js';
import { alice } from './support/ids.js';
import { aPipeline } from './support/pipeline-builder.js';
import { minutesAfterStart } from './support/time.js';

const ACTIVE = PIPELINE_STATUSES.filter((s): s is ActiveStatus => s !== 'succeeded' && s !== 'failed' && s !== 'canceled');
const builder = aPipeline().ownedBy(alice).withPhotos(3);
const now = minutesAfterStart(20);
const POLL = 5_000;
const afterPoll = new Date(now.getTime() + POLL);

describe('nextDueAt: the one lifecycle rule the worker and the SQL selections follow', () => {
  it.each(ACTIVE.filter((s) => s !== 'training'))('a %s pipeline is due now', (status) => {
    expect(nextDueAt(builder.active(status), now, POLL)).toEqual(now);
  });

  it('a training pipeline is polled after the poll interval', () => {
    expect(nextDueAt(builder.active('training'), now, POLL)).toEqual(afterPoll);
  });

  it('a training pipeline polled on its own less often (a sweep asks about all of them) comes back after that interval; nothing else does', () => {
    const ownPoll = POLL * 20;
    expect(nextDueAt(builder.active('training'), now, POLL, ownPoll)).toEqual(new Date(now.getTime() + ownPoll));
    const ended = failPipeline(builder.active('training'), domainError('trainer.training_failed'), now);
    expect(nextDueAt(ended, now, POLL, ownPoll)).toEqual(afterPoll);
    expect(nextDueAt(builder.active('packaging'), now, POLL, ownPoll)).toEqual(now);
  });

  it('a retry time ahead says when, for every active step', () => {
    for (const status of ACTIVE) {
      const waiting = retryLater(builder.active(status), defaultRetryPolicy, now);
      expect(waiting.retry.notBefore).not.toBeNull();
      expect(nextDueAt(waiting, now, POLL)).toEqual(waiting.retry.notBefore);
    }
  });

  it('an ended pipeline owing clean-up comes back after the poll interval; once cleaned up it is finished', () => {
    const ended = failPipeline(builder.active('training'), domainError('trainer.training_failed'), now);
    expect(nextDueAt(ended, now, POLL)).toEqual(afterPoll);
    expect(nextDueAt(cleanUpDone(ended, now), now, POLL)).toBeNull();
  });

  it('an ended pipeline that never began packaging owes nothing', () => {
    const ended = failPipeline(builder.active('verifying_uploads'), domainError('upload.not_found'), now);
    expect(nextDueAt(ended, now, POLL)).toBeNull();
  });

  it('a retry time already reached no longer says when: the step is due as if none were set', () => {
    const training = builder.active('training');
    expect(nextDueAt({ ...training, retry: { attempt: 1, notBefore: now } }, now, POLL)).toEqual(afterPoll);
    const packaging = builder.active('packaging');
    expect(nextDueAt({ ...packaging, retry: { attempt: 1, notBefore: minutesAfterStart(19) } }, now, POLL)).toEqual(now);
    const ended = failPipeline(training, domainError('trainer.training_failed'), now);
    expect(nextDueAt({ ...ended, retry: { attempt: 3, notBefore: now } }, now, POLL)).toEqual(afterPoll);
  });
});
