import { describe, expect, it } from 'vitest';
import type { AuditViolation } from '../src/domain/audit-violation.js';
import {
  accountedTrainings,
  destinationsToAudit,
  findViolations,
  inReportOrder,
  recordedVersions,
  remainingDestinations,
  trainingFindings,
  type AuditedTraining,
  type AuditPolicy,
  type AuditSnapshot,
} from '../src/domain/audit-findings.js';
import { destinationFor, destinationRef, type DestinationStrategy } from '../src/domain/destination.js';
import { domainError } from '../src/domain/errors.js';
import { ownerRef } from '../src/domain/owner-ref.js';
import { cleanUpDone, failPipeline, trainingSucceeded, type TrainingPipeline } from '../src/domain/training-pipeline.js';
import { uploadKey } from '../src/domain/upload.js';
import { alice, bob, modelId, ownerId, pipelineId } from './support/ids.js';
import { ACCOUNT, aPipeline, succeededReport } from './support/pipeline-builder.js';
import { minutesAfterStart } from './support/time.js';

// The audit's edges: exact thresholds, keys that only look like ours, and orders that must hold for long reports too.
const HOUR = 3_600_000;
const now = minutesAfterStart(48 * 60);
const longAgo = minutesAfterStart(10);
const policy: AuditPolicy = { stuckAfterMs: 24 * HOUR, graceMs: HOUR, webhookUrl: 'https://svc.example/hook' };
const perOwner: DestinationStrategy = { kind: 'per-owner', account: ACCOUNT };
const builder = aPipeline().ownedBy(alice).withId('p-alice').withPhotos(2);
const training = builder.training('trn-alice');
const done = trainingSucceeded(training, succeededReport(training), modelId('m-alice'), minutesAfterStart(6))._unsafeUnwrap();
const succeeded = cleanUpDone(done.pipeline, minutesAfterStart(7));

/** Alice's photos, stored, and one pipeline of hers (plus the model when it succeeded); nothing wrong unless a test puts it there. */
function snapshotWith(pipeline: TrainingPipeline, extra: Partial<AuditSnapshot> = {}): AuditSnapshot {
  const uploads = builder.uploads();
  return {
    now,
    strategy: perOwner,
    owners: [alice],
    uploads,
    pipelines: [pipeline],
    models: pipeline.status === 'succeeded' ? [done.model] : [],
    objects: uploads.map((u) => ({ key: uploadKey(u.ownerId, u.id), byteSize: u.byteSize, lastModified: longAgo })),
    trainings: [],
    versions: [],
    unreadable: [],
    ...extra,
  };
}
const listedTraining = (fields: Partial<AuditedTraining>): AuditedTraining => ({
  trainerTrainingId: 'trn-x',
  destination: null,
  webhook: null,
  status: 'processing',
  outputVersion: null,
  createdAt: longAgo,
  pipelineId: null,
  ...fields,
});

describe('audit edges', () => {
  it('a pipeline untouched for exactly the threshold is not stuck yet', () => {
    const queued = aPipeline().ownedBy(alice).withId('p-alice').withPhotos(2).queued();
    expect(findViolations(snapshotWith({ ...queued, updatedAt: new Date(now.getTime() - policy.stuckAfterMs) }), policy)).toEqual([]);
  });

  it('a model whose photos are as many as its pipeline\'s but one differs has another training set', () => {
    const [first, ...rest] = done.model.trainingSet;
    const model = { ...done.model, trainingSet: [{ ...first!, sha256: rest[0]!.sha256 }, ...rest] };
    expect(findViolations({ ...snapshotWith(succeeded), models: [model] }, policy)).toMatchObject([
      { kind: 'model.provenance_mismatch', detail: "training set differs from the pipeline's" },
    ]);
  });

  it('keys that only look like a package are no pipeline\'s, or nobody\'s', () => {
    const orphanOf = (key: string) =>
      findViolations(snapshotWith(succeeded, { objects: [...snapshotWith(succeeded).objects, { key, byteSize: 1, lastModified: longAgo }] }), policy);
    const aliceUpload = builder.uploads()[0]!;
    expect(orphanOf(`${uploadKey(alice, aliceUpload.id)}/training.zip`)).toMatchObject([{ kind: 'object.orphan', reason: 'unknown_key' }]);
    expect(orphanOf(`trainings/${ownerRef(alice)}/p-ghost/training.zip`)).toMatchObject([{ kind: 'object.orphan', ownerId: alice, reason: 'no_pipeline' }]);
    expect(orphanOf(`trainings/${ownerRef(bob)}/p-alice/training.zip`)).toMatchObject([{ kind: 'object.orphan', ownerId: null, reason: 'no_pipeline' }]);
  });

  it('recorded versions are those of succeeded pipelines only', () => {
    const failed = failPipeline(aPipeline().ownedBy(bob).withId('p-bob').training('trn-bob'), domainError('trainer.training_failed'), longAgo);
    expect(recordedVersions([training, failed, succeeded])).toEqual([succeeded.modelVersion]);
  });

  it('without a webhook URL no training is judged, not even one that names no webhook', () => {
    expect(trainingFindings([listedTraining({})], new Set(), now, { ...policy, webhookUrl: null }, () => null)).toEqual([]);
  });

  it('a training a pipeline recorded is accounted for, whatever pipeline its input names', () => {
    expect(accountedTrainings([training], [listedTraining({ trainerTrainingId: 'trn-alice', pipelineId: pipelineId('p-ghost') })])).toEqual(['trn-alice']);
  });
});

describe('orders that hold for long reports', () => {
  // A fixed shuffle (no randomness): i * 37 mod 101 visits 0..100 once each.
  const shuffled = Array.from({ length: 101 }, (_, i) => (i * 37) % 101);
  const label = (n: number) => `owner-${String(n).padStart(3, '0')}`;

  it('destinationsToAudit sorts many destinations by reference', () => {
    const refs = destinationsToAudit(perOwner, shuffled.map((n) => ownerId(label(n))), [], []).map(destinationRef);
    expect(refs).toEqual([...refs].sort());
    expect(refs).toHaveLength(101);
  });

  it('inReportOrder sorts many versions by destination', () => {
    const versions = shuffled.map(
      (n): AuditViolation => ({
        kind: 'version.unrecorded',
        ownerId: null,
        destination: `${ACCOUNT}/${label(n)}`,
        version: `${ACCOUNT}/${label(n)}:abc`,
        createdAt: null,
        trainerTrainingId: null,
        pipelineId: null,
      }),
    );
    expect(inReportOrder(versions).map((v) => (v.kind === 'version.unrecorded' ? v.destination : ''))).toEqual(shuffled.map(label).sort().map((l) => `${ACCOUNT}/${l}`));
  });

  it('remainingDestinations sorts what waited, whatever order it waited in', () => {
    const waited = shuffled.map((n) => destinationFor(perOwner, ownerId(label(n))));
    const refs = remainingDestinations(perOwner, waited, [], { ownerRefs: new Set(), destinations: new Set() }).map(destinationRef);
    expect(refs).toEqual(waited.map(destinationRef).sort());
  });
});
