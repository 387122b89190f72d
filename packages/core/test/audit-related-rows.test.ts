import { describe, expect, it } from 'vitest';
import { relatedIdsOf, trainingsOfVersions, type AuditedTraining } from '../src/domain/audit-findings.js';
import type { Model } from '../src/domain/model.js';
import { trainingSucceeded } from '../src/domain/training-pipeline.js';
import { alice, modelId, pipelineId, uploadId } from './support/ids.js';
import { ACCOUNT, aPipeline, succeededReport } from './support/pipeline-builder.js';
import { minutesAfterStart } from './support/time.js';

// The ids of other owners' rows a batch points at, so that a judgement never depends on how owners were batched.
const builder = aPipeline().ownedBy(alice).withId('p-own').withPhotos(2);
const training = builder.training('trn-own');
const { pipeline: succeeded, model } = trainingSucceeded(training, succeededReport(training), modelId('m-own'), minutesAfterStart(6))._unsafeUnwrap();
const batch = (rows: { pipelines?: typeof succeeded[]; models?: Model[]; uploads?: ReturnType<typeof builder.uploads> }) => ({
  now: minutesAfterStart(60),
  strategy: { kind: 'per-owner' as const, account: ACCOUNT },
  owners: [alice],
  uploads: rows.uploads ?? [],
  pipelines: rows.pipelines ?? [],
  models: rows.models ?? [],
  objects: [],
  unreadable: [],
});

describe('relatedIdsOf', () => {
  it('asks for nothing when the batch holds every row its rows point at', () => {
    expect(relatedIdsOf(batch({ pipelines: [succeeded], models: [model], uploads: builder.uploads() }))).toEqual({
      pipelineIds: [],
      uploadIds: [],
      modelsOfPipelines: [],
    });
  });

  it("asks once each for a model's pipeline and photos that are not in the batch", () => {
    const twin = { ...model, id: modelId('m-twin') };
    const ids = relatedIdsOf(batch({ models: [model, twin], uploads: builder.uploads().slice(1) }));
    expect(ids.pipelineIds).toEqual([pipelineId('p-own')]);
    expect(ids.uploadIds).toEqual([builder.uploads()[0]!.id]);
    expect(relatedIdsOf(batch({ models: [{ ...model, trainingSet: [...model.trainingSet, { uploadId: uploadId('elsewhere'), sha256: model.trainingSet[0]!.sha256 }] }], uploads: builder.uploads() })).uploadIds).toEqual(['elsewhere']);
  });

  it('asks for the model of a pipeline whose manifest does not hold its set, unless the batch has that model', () => {
    const tampered = { ...succeeded, package: { ...succeeded.package, entries: succeeded.package.entries.slice(1) } };
    expect(relatedIdsOf(batch({ pipelines: [tampered] })).modelsOfPipelines).toEqual([pipelineId('p-own')]);
    expect(relatedIdsOf(batch({ pipelines: [tampered], models: [model] })).modelsOfPipelines).toEqual([]);
    expect(relatedIdsOf(batch({ pipelines: [succeeded] })).modelsOfPipelines).toEqual([]);
  });
});

describe('trainingsOfVersions', () => {
  const listed = (version: string) => ({ listed: { destination: succeeded.destination, version, createdAt: null }, destinationOwner: null });
  const wrote = (id: string, outputVersion: string | null): AuditedTraining => ({
    trainerTrainingId: id,
    destination: null,
    webhook: null,
    status: 'succeeded',
    outputVersion,
    createdAt: null,
    pipelineId: null,
  });

  it('finds the training that wrote each version, in the versions\' order, and skips versions no listed training wrote', () => {
    const trainings = [wrote('t-none', null), wrote('t-b', 'acme/x:b'), wrote('t-a', 'acme/x:a')];
    expect(trainingsOfVersions([listed('acme/x:a'), listed('acme/x:gone'), listed('acme/x:b')], trainings).map((t) => t.trainerTrainingId)).toEqual([
      't-a',
      't-b',
    ]);
  });
});
