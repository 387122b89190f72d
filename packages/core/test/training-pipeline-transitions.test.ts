import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyPackage } from '../src/domain/training-package.js';
import {
  ALLOWED_TRANSITIONS,
  isAllowedTransition,
  isTerminalStatus,
  PIPELINE_STATUSES,
  submitted,
  trainingSucceeded,
  type PipelineStatus,
  type TrainingPipeline,
} from '../src/domain/training-pipeline.js';
import { verifyUploads } from '../src/domain/upload-verification.js';
import { alice, modelId } from './support/ids.js';
import { faithfulPackage } from './support/package-facts.js';
import { aPipeline, acceptedReport, STEP_TIMES, succeededReport } from './support/pipeline-builder.js';
import { objectsOf, rowsOf } from './support/storage-facts.js';
import { minutesAfterStart } from './support/time.js';

const statusArb = fc.constantFrom(...PIPELINE_STATUSES);
const activeStatuses = PIPELINE_STATUSES.filter((s) => !isTerminalStatus(s));
const HAPPY_PATH: readonly PipelineStatus[] = [
  'queued',
  'verifying_uploads',
  'packaging',
  'verifying_package',
  'submitting',
  'training',
  'succeeded',
];

function reachable(from: PipelineStatus): Set<PipelineStatus> {
  const seen = new Set<PipelineStatus>();
  const queue = [...ALLOWED_TRANSITIONS[from]];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (!seen.has(next)) {
      seen.add(next);
      queue.push(...ALLOWED_TRANSITIONS[next]);
    }
  }
  return seen;
}

describe('ALLOWED_TRANSITIONS (I7)', () => {
  it('has no edge leaving a terminal state', () => {
    fc.assert(
      fc.property(statusArb, statusArb, (from, to) => {
        fc.pre(isTerminalStatus(from));
        expect(isAllowedTransition(from, to)).toBe(false);
      }),
    );
  });

  it('lets every active state reach failed and canceled directly', () => {
    fc.assert(
      fc.property(fc.constantFrom(...activeStatuses), (from) => {
        expect(isAllowedTransition(from, 'failed')).toBe(true);
        expect(isAllowedTransition(from, 'canceled')).toBe(true);
        expect(reachable(from)).toContain('succeeded');
      }),
    );
  });

  it('makes the happy path a chain: from each active state exactly one forward edge, to the next stage', () => {
    for (const [index, from] of HAPPY_PATH.slice(0, -1).entries()) {
      const forward = ALLOWED_TRANSITIONS[from].filter((to) => to !== 'failed' && to !== 'canceled');
      expect(forward).toEqual([HAPPY_PATH[index + 1]]);
    }
  });

  it('never revisits a state: any walk along allowed edges ends in a terminal state within the chain length', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: HAPPY_PATH.length, maxLength: HAPPY_PATH.length }), (choices) => {
        let status: PipelineStatus = 'queued';
        const visited: PipelineStatus[] = [status];
        for (const choice of choices) {
          const edges: readonly PipelineStatus[] = ALLOWED_TRANSITIONS[status];
          if (edges.length === 0) break;
          status = edges[choice % edges.length]!;
          expect(visited).not.toContain(status);
          visited.push(status);
        }
        expect(isTerminalStatus(status)).toBe(true);
      }),
    );
  });

  it('skips no step: no edge jumps over a stage of the happy path', () => {
    fc.assert(
      fc.property(statusArb, statusArb, (from, to) => {
        const gap = HAPPY_PATH.indexOf(to) - HAPPY_PATH.indexOf(from);
        fc.pre(HAPPY_PATH.includes(from) && HAPPY_PATH.includes(to) && gap !== 1);
        expect(isAllowedTransition(from, to)).toBe(false);
      }),
    );
  });
});

describe('type-state transitions', () => {
  const builder = aPipeline().ownedBy(alice).withPhotos(3);
  const uploads = builder.uploads();

  it('creates a queued pipeline with no steps, tied to the training set owner', () => {
    const p = builder.queued();
    expect(p).toMatchObject({ status: 'queued', ownerId: alice, revision: 0, steps: [], retry: { attempt: 0, notBefore: null } });
    expect(p.createdAt).toEqual(STEP_TIMES.created);
    expect(p.updatedAt).toEqual(STEP_TIMES.created);
  });

  it('begins verification: verifying_uploads with a running verify_uploads step', () => {
    const p = builder.verifyingUploads();
    expect(p.status).toBe('verifying_uploads');
    expect(p.steps).toEqual([
      { name: 'verify_uploads', status: 'running', startedAt: STEP_TIMES.verificationBegun, finishedAt: null, evidence: null },
    ]);
    expect(p.updatedAt).toEqual(STEP_TIMES.verificationBegun);
  });

  it('records upload evidence when uploads are verified, and starts packaging', () => {
    const p = builder.packaging();
    const evidence = verifyUploads(p.trainingSet, rowsOf(uploads), objectsOf(uploads))._unsafeUnwrap().evidence;
    expect(p.status).toBe('packaging');
    expect(p.uploads.evidence).toEqual(evidence);
    expect(p.steps).toEqual([
      {
        name: 'verify_uploads',
        status: 'succeeded',
        startedAt: STEP_TIMES.verificationBegun,
        finishedAt: STEP_TIMES.uploadsVerified,
        evidence: { step: 'verify_uploads', uploads: evidence },
      },
      { name: 'package', status: 'running', startedAt: STEP_TIMES.uploadsVerified, finishedAt: null, evidence: null },
    ]);
  });

  it('records the written package (key, hash, size, entry count) and starts verifying it', () => {
    const p = builder.verifyingPackage();
    const written = faithfulPackage(p.trainingSet, p.id);
    expect(p.status).toBe('verifying_package');
    expect(p.package).toEqual(written);
    expect(p.steps.at(-2)).toEqual({
      name: 'package',
      status: 'succeeded',
      startedAt: STEP_TIMES.uploadsVerified,
      finishedAt: STEP_TIMES.packageWritten,
      evidence: { step: 'package', key: written.key, sha256: written.sha256, byteSize: written.byteSize, entries: 3 },
    });
    expect(p.steps.at(-1)).toMatchObject({ name: 'verify_package', status: 'running', startedAt: STEP_TIMES.packageWritten });
  });

  it('records the verified manifest and starts submitting', () => {
    const p = builder.submitting();
    const verified = verifyPackage(p.trainingSet, p.id, p.package, p.package)._unsafeUnwrap();
    expect(p.status).toBe('submitting');
    expect(p.steps.at(-2)).toEqual({
      name: 'verify_package',
      status: 'succeeded',
      startedAt: STEP_TIMES.packageWritten,
      finishedAt: STEP_TIMES.packageVerified,
      evidence: { step: 'verify_package', sha256: verified.sha256, entries: verified.entries },
    });
    expect(p.steps.at(-1)).toMatchObject({ name: 'submit', status: 'running', startedAt: STEP_TIMES.packageVerified });
  });

  it("records the trainer's training id and the destination on submission, and starts training", () => {
    const p = builder.training('trn-xyz');
    expect(p.status).toBe('training');
    expect(p.trainerTrainingId).toBe('trn-xyz');
    expect(p.steps.at(-2)).toEqual({
      name: 'submit',
      status: 'succeeded',
      startedAt: STEP_TIMES.packageVerified,
      finishedAt: STEP_TIMES.submitted,
      evidence: { step: 'submit', trainerTrainingId: 'trn-xyz', destination: `${p.destination.owner}/${p.destination.name}` },
    });
    expect(p.steps.at(-1)).toMatchObject({ name: 'train', status: 'running', startedAt: STEP_TIMES.submitted, finishedAt: null });
  });

  it('runs the whole chain along allowed edges, each step finishing when the next starts', () => {
    const training = builder.training();
    const done = trainingSucceeded(training, succeededReport(training), modelId('model-1'), minutesAfterStart(30))._unsafeUnwrap();
    const chain: TrainingPipeline[] = [
      builder.queued(),
      builder.verifyingUploads(),
      builder.packaging(),
      builder.verifyingPackage(),
      builder.submitting(),
      training,
      done.pipeline,
    ];
    expect(chain.map((p) => p.status)).toEqual(HAPPY_PATH);
    for (const [index, p] of chain.slice(1).entries()) expect(isAllowedTransition(chain[index]!.status, p.status)).toBe(true);
    const steps = done.pipeline.steps;
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ['verify_uploads', 'succeeded'],
      ['package', 'succeeded'],
      ['verify_package', 'succeeded'],
      ['submit', 'succeeded'],
      ['train', 'succeeded'],
    ]);
    for (const [index, step] of steps.slice(1).entries()) expect(step.startedAt).toEqual(steps[index]!.finishedAt);
    expect(steps.at(-1)!.finishedAt).toEqual(minutesAfterStart(30));
  });
});

describe('submitted', () => {
  const submitting = aPipeline().ownedBy(alice).submitting();

  it('accepts an answer that names no destination', () => {
    const p = submitted(submitting, { ...acceptedReport(submitting, 'trn-1'), destination: null }, STEP_TIMES.submitted);
    expect(p._unsafeUnwrap().trainerTrainingId).toBe('trn-1');
  });

  it('refuses an answer accepted for another destination', () => {
    const report = { ...acceptedReport(submitting, 'trn-1'), destination: { owner: 'acme', name: 'someone-else' } };
    expect(submitted(submitting, report, STEP_TIMES.submitted)._unsafeUnwrapErr().code).toBe('trainer.destination_mismatch');
  });

  it('refuses an answer without a training id', () => {
    expect(submitted(submitting, acceptedReport(submitting, ''), STEP_TIMES.submitted)._unsafeUnwrapErr().code).toBe(
      'trainer.invalid_response',
    );
  });

  it('says in the detail which destination the answer named, or that the id was empty', () => {
    const report = { ...acceptedReport(submitting, 'trn-1'), destination: { owner: 'acme', name: 'someone-else' } };
    expect(submitted(submitting, report, STEP_TIMES.submitted)._unsafeUnwrapErr().detail).toBe('accepted for acme/someone-else');
    expect(submitted(submitting, acceptedReport(submitting, ''), STEP_TIMES.submitted)._unsafeUnwrapErr().detail).toBe('empty training id');
  });
});
