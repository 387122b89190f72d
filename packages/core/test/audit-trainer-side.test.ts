import { describe, expect, it } from 'vitest';
import { accountedTrainings, trainingFindings, unsettledVersions, versionFindings, type AuditedTraining, type AuditPolicy } from '../src/domain/audit-findings.js';
import { destinationFor, destinationRef } from '../src/domain/destination.js';
import { trainingSucceeded } from '../src/domain/training-pipeline.js';
import { alice, bob, modelId, pipelineId } from './support/ids.js';
import { ACCOUNT, aPipeline, succeededReport } from './support/pipeline-builder.js';
import { minutesAfterStart } from './support/time.js';

// The trainer's side of the audit, judged once every owner's rows were read (the batched audit's last part).
const HOUR = 3_600_000;
const now = minutesAfterStart(48 * 60);
const policy: AuditPolicy = { stuckAfterMs: 24 * HOUR, graceMs: HOUR, webhookUrl: 'https://svc.example/hook' };
const training = aPipeline().ownedBy(alice).withId('p-alice').training('trn-alice');
const { pipeline: succeeded } = trainingSucceeded(training, succeededReport(training), modelId('m'), minutesAfterStart(6))._unsafeUnwrap();
const listedTraining = (fields: Partial<AuditedTraining>): AuditedTraining => ({
  trainerTrainingId: 'trn-x',
  destination: null,
  webhook: policy.webhookUrl,
  status: 'processing',
  outputVersion: null,
  createdAt: minutesAfterStart(10),
  pipelineId: null,
  ...fields,
});

describe('unsettledVersions and versionFindings', () => {
  const version = succeeded.modelVersion;
  const listed = { destination: succeeded.destination, version, createdAt: minutesAfterStart(10) };

  it('names the owner of the destination a version was listed at', () => {
    const owners = new Map([[destinationRef(succeeded.destination), alice]]);
    expect(unsettledVersions([listed], new Set(), now, policy, (d) => owners.get(d) ?? null)).toEqual([{ listed, destinationOwner: alice }]);
    expect(unsettledVersions([listed], new Set([version]), now, policy, () => alice)).toEqual([]);
  });

  it('does not report a version that a pipeline looked up for it has recorded since its owner was read', () => {
    const unsettled = [{ listed, destinationOwner: null }];
    const wrote = [listedTraining({ trainerTrainingId: 'trn-alice', outputVersion: version })];
    expect(versionFindings(unsettled, new Set(), wrote, [succeeded])).toEqual([]);
    expect(versionFindings(unsettled, new Set([version]), wrote, [])).toEqual([]);
    expect(versionFindings(unsettled, new Set(), wrote, [training])).toEqual([]);
    expect(versionFindings(unsettled, new Set(), wrote, [])).toEqual([
      {
        kind: 'version.unrecorded',
        ownerId: null,
        destination: destinationRef(succeeded.destination),
        version,
        createdAt: listed.createdAt,
        trainerTrainingId: 'trn-alice',
        pipelineId: null,
      },
    ]);
  });
});

describe('accountedTrainings', () => {
  it('accounts for a training a pipeline recorded, or one naming a pipeline at no other destination', () => {
    const trainings = [
      listedTraining({ trainerTrainingId: 'trn-alice' }),
      listedTraining({ trainerTrainingId: 'trn-named', pipelineId: pipelineId('p-alice') }),
      listedTraining({ trainerTrainingId: 'trn-named-here', pipelineId: pipelineId('p-alice'), destination: training.destination }),
      listedTraining({ trainerTrainingId: 'trn-named-elsewhere', pipelineId: pipelineId('p-alice'), destination: destinationFor({ kind: 'per-owner', account: ACCOUNT }, bob) }),
      listedTraining({ trainerTrainingId: 'trn-ghost', pipelineId: pipelineId('p-ghost') }),
      listedTraining({ trainerTrainingId: 'trn-none' }),
    ];
    expect(accountedTrainings([training], trainings)).toEqual(['trn-alice', 'trn-named', 'trn-named-here']);
  });
});

describe('trainingFindings', () => {
  it('reports an unaccounted training to our webhook with all it says, and no owner or destination when it names none', () => {
    const stranger = listedTraining({ status: 'succeeded', outputVersion: 'acme/x:abc' });
    expect(trainingFindings([stranger], new Set(), now, policy, () => bob)).toEqual([
      { kind: 'training.unknown', ownerId: null, trainerTrainingId: 'trn-x', destination: null, status: 'succeeded', outputVersion: 'acme/x:abc', createdAt: stranger.createdAt },
    ]);
    const named = listedTraining({ destination: succeeded.destination });
    const owners = new Map([[destinationRef(succeeded.destination), alice]]);
    expect(trainingFindings([named], new Set(), now, policy, (d) => owners.get(d) ?? null)).toMatchObject([
      { ownerId: alice, destination: destinationRef(succeeded.destination) },
    ]);
    expect(trainingFindings([named], new Set(['trn-x']), now, policy, () => alice)).toEqual([]);
  });
});
