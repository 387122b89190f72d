import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { destinationFor, destinationRef } from '../src/domain/destination.js';
import { trusted, type OwnerId } from '../src/domain/ids.js';
import { trainingSucceeded, type TrainerReport } from '../src/domain/training-pipeline.js';
import { alice, bob, modelId } from './support/ids.js';
import { ACCOUNT, aPipeline, succeededReport } from './support/pipeline-builder.js';
import { minutesAfterStart } from './support/time.js';

const training = aPipeline().ownedBy(alice).withPhotos(4).training('trn-alice');
const finishedAt = minutesAfterStart(30);
const refusal = (report: TrainerReport) => trainingSucceeded(training, report, modelId('model-1'), finishedAt)._unsafeUnwrapErr();
const HASH = '5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa';

describe('trainingSucceeded (I5, I6)', () => {
  it("makes the owner's model from exactly the reported version and the pipeline's training set", () => {
    const report = succeededReport(training);

    const { pipeline, model } = trainingSucceeded(training, report, modelId('model-1'), finishedAt)._unsafeUnwrap();

    expect(model).toEqual({
      id: modelId('model-1'),
      ownerId: alice,
      pipelineId: training.id,
      destination: training.destination,
      version: report.outputVersion,
      status: 'active',
      quarantineReason: null,
      trainingSet: training.trainingSet.items.map((item) => ({ uploadId: item.uploadId, sha256: item.sha256 })),
      createdAt: finishedAt,
      revision: 0,
    });
    expect(model.trainingSet).toHaveLength(4);
    expect(pipeline).toMatchObject({ status: 'succeeded', modelVersion: report.outputVersion, modelId: 'model-1', packageDeletedAt: null });
    expect(pipeline.package).toBe(training.package);
    expect(pipeline.steps.at(-1)).toEqual({
      name: 'train',
      status: 'succeeded',
      startedAt: training.steps.at(-1)!.startedAt,
      finishedAt,
      evidence: { step: 'train', version: report.outputVersion },
    });
  });

  it('accepts a report that names no destination when the version is at the pipeline destination', () => {
    expect(trainingSucceeded(training, succeededReport(training, { destination: null }), modelId('m'), finishedAt).isOk()).toBe(true);
  });

  it('refuses a report about another training: invalid_response (judgeReport)', () => {
    fc.assert(
      fc.property(fc.string(), (otherId) => {
        fc.pre(otherId !== training.trainerTrainingId);
        expect(refusal(succeededReport(training, { trainerTrainingId: otherId })).code).toBe('trainer.invalid_response');
      }),
    );
  });

  it('refuses a report that states another destination: destination_mismatch', () => {
    const bobs = destinationFor({ kind: 'per-owner', account: ACCOUNT }, bob);
    expect(refusal(succeededReport(training, { destination: bobs })).code).toBe('trainer.destination_mismatch');
  });

  it("refuses a version written at any other owner's destination, even when the report names ours (the incident)", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (raw) => {
        const other = destinationFor({ kind: 'per-owner', account: ACCOUNT }, trusted<OwnerId>(raw));
        fc.pre(raw !== alice);
        const report = succeededReport(training, { outputVersion: `${destinationRef(other)}:${HASH}` });
        expect(refusal(report).code).toBe('trainer.destination_mismatch');
      }),
    );
  });

  it('refuses a version on another account or in the shared model', () => {
    const { name } = training.destination;
    expect(refusal(succeededReport(training, { outputVersion: `other-account/${name}:${HASH}` })).code).toBe(
      'trainer.destination_mismatch',
    );
    expect(refusal(succeededReport(training, { outputVersion: `${ACCOUNT}/selfie-lora:${HASH}` })).code).toBe(
      'trainer.destination_mismatch',
    );
  });

  it.each([
    ['no version', null],
    ['an empty version', ''],
    ['a version without a hash', `${ACCOUNT}/selfie-lora-x`],
    ['a bare hash', HASH],
    ['a version with spaces', `${ACCOUNT}/selfie lora:${HASH}`],
  ])('refuses a succeeded report with %s: invalid_response', (_label, outputVersion) => {
    expect(refusal(succeededReport(training, { outputVersion })).code).toBe('trainer.invalid_response');
  });

  it.each(['starting', 'processing', 'failed', 'canceled'] as const)('refuses a %s report: invalid_response', (status) => {
    expect(refusal(succeededReport(training, { status })).code).toBe('trainer.invalid_response');
  });

  it('gives each of two owners only their own version and their own photos', () => {
    const bobTraining = aPipeline().ownedBy(bob).withId('pipeline-bob').training('trn-bob');
    const aliceModel = trainingSucceeded(training, succeededReport(training), modelId('m-a'), finishedAt)._unsafeUnwrap().model;
    const bobModel = trainingSucceeded(bobTraining, succeededReport(bobTraining), modelId('m-b'), finishedAt)._unsafeUnwrap().model;

    expect(aliceModel.version).not.toBe(bobModel.version);
    const bobPhotos = new Set(bobModel.trainingSet.map((item) => item.uploadId));
    expect(aliceModel.trainingSet.some((item) => bobPhotos.has(item.uploadId))).toBe(false);
    // Bob's report, applied to Alice's pipeline, is refused.
    expect(refusal(succeededReport(bobTraining)).code).toBe('trainer.invalid_response');
    expect(refusal({ ...succeededReport(bobTraining), trainerTrainingId: 'trn-alice' }).code).toBe('trainer.destination_mismatch');
  });

  it("says in each refusal's detail what the report said, for the logs", () => {
    const bobs = destinationFor({ kind: 'per-owner', account: ACCOUNT }, bob);
    expect(refusal(succeededReport(training, { trainerTrainingId: 'trn-other' })).detail).toBe('report for trn-other, recorded trn-alice');
    expect(refusal(succeededReport(training, { destination: bobs })).detail).toBe(`report names ${destinationRef(bobs)}`);
    expect(refusal(succeededReport(training, { outputVersion: null })).detail).toBe('succeeded report with version null');
    expect(refusal(succeededReport(training, { outputVersion: 'latest' })).detail).toBe('succeeded report with version latest');
    const elsewhere = `${destinationRef(bobs)}:${HASH}`;
    expect(refusal(succeededReport(training, { outputVersion: elsewhere })).detail).toBe(
      `version ${elsewhere} is not at ${destinationRef(training.destination)}`,
    );
  });
});
