import { describe, expect, it } from 'vitest';
import { domainError } from '../src/domain/errors.js';
import { adoptionOf, adoptSubmission, failPipeline, type TrainerReport } from '../src/index.js';
import { alice, pipelineId } from './support/ids.js';
import { aPipeline } from './support/pipeline-builder.js';
import { minutesAfterStart } from './support/time.js';

const now = minutesAfterStart(30);
const builder = aPipeline().ownedBy(alice).withId('pipeline-1').withPhotos(3);

/** The trainer's answer about a training it holds, naming (or not) the pipeline its input came from. */
function report(names: string | null | undefined, overrides: Partial<TrainerReport> = {}): TrainerReport {
  const submitting = builder.submitting();
  return {
    trainerTrainingId: 'trn-found',
    destination: submitting.destination,
    status: 'processing',
    outputVersion: null,
    error: null,
    ...(names === undefined ? {} : { pipelineId: names === null ? null : pipelineId(names) }),
    ...overrides,
  };
}

describe('adoptionOf', () => {
  it('adopts a training naming a submitting pipeline: the same submitted edge, recording that training', () => {
    const adoption = adoptionOf(builder.submitting(), report('pipeline-1'), now);
    expect(adoption.kind).toBe('adopt');
    if (adoption.kind !== 'adopt') return;
    expect(adoption.pipeline.status).toBe('training');
    expect(adoption.pipeline.trainerTrainingId).toBe('trn-found');
  });

  it.each([
    ['no pipeline found', null, 'pipeline-1'],
    ['a training naming no pipeline', 'submitting', undefined],
    ['a training whose input names nothing', 'submitting', null],
    ['a training naming another pipeline', 'submitting', 'pipeline-2'],
  ] as const)('leaves %s alone as not ours, saying which training', (_, held, names) => {
    const adoption = adoptionOf(held === null ? null : builder.submitting(), report(names), now);
    expect(adoption).toEqual({ kind: 'not_ours', reason: domainError('trainer.unknown_training', 'no pipeline recorded trn-found') });
  });

  it('stops a training naming a pipeline that holds another training, saying which', () => {
    const adoption = adoptionOf(builder.training('trn-kept'), report('pipeline-1'), now);
    expect(adoption).toEqual({
      kind: 'stop',
      reason: domainError('training.already_finished', 'pipeline pipeline-1 is training (training trn-kept), not waiting for trn-found'),
    });
  });

  it('stops a training naming a pipeline that ended before it held one', () => {
    const ended = failPipeline(builder.packaging(), domainError('verify.hash_mismatch', 'sha256 abc != def'), now);
    const adoption = adoptionOf(ended, report('pipeline-1'), now);
    expect(adoption).toEqual({
      kind: 'stop',
      reason: domainError('training.already_finished', 'pipeline pipeline-1 is failed (training none), not waiting for trn-found'),
    });
  });

  it('stops, not adopts, a training at another destination', () => {
    const adoption = adoptionOf(builder.submitting(), report('pipeline-1', { destination: { owner: 'acme', name: 'someone-else' } }), now);
    expect(adoption.kind).toBe('stop');
    if (adoption.kind === 'stop') expect(adoption.reason.code).toBe('trainer.destination_mismatch');
  });
});

describe('adoptSubmission', () => {
  it('refuses a training made from another pipeline, naming it', () => {
    expect(adoptSubmission(builder.submitting(), report('pipeline-2'), now)._unsafeUnwrapErr()).toEqual(
      domainError('trainer.invalid_response', 'training trn-found names pipeline pipeline-2'),
    );
  });

  it('takes a training that names this pipeline or says nothing about its input', () => {
    expect(adoptSubmission(builder.submitting(), report('pipeline-1'), now).isOk()).toBe(true);
    expect(adoptSubmission(builder.submitting(), report(undefined), now).isOk()).toBe(true);
  });
});
