import { createHash } from 'node:crypto';
import {
  beginVerification,
  cancelPipeline,
  createPipeline,
  destinationFor,
  entryName,
  failPipeline,
  domainError,
  ModelId,
  newUpload,
  OwnerId,
  cleanUpDone,
  packageKey,
  packageVerified,
  packageWritten,
  PipelineId,
  submitted,
  trainingSetFrom,
  trainingSucceeded,
  trusted,
  UploadId,
  uploadsVerified,
  verifyPackage,
  verifyUploads,
  type ActivePipeline,
  type FailedOrCanceledPipeline,
  type ImageType,
  type Model,
  type NonEmpty,
  type PackageFacts,
  type PackagingPipeline,
  type QueuedPipeline,
  type Sha256,
  type StoredObjectFacts,
  type SubmittingPipeline,
  type SucceededPipeline,
  type TerminalPipeline,
  type TrainingSet,
  type TrainingSetItem,
  type TrainingStagePipeline,
  type Upload,
  type VerifyingPackagePipeline,
  type VerifyingUploadsPipeline,
} from '@selfie-lora/core';
import { restoreTrainingSet } from '@selfie-lora/core/persistence';

// Fixtures for the repository contract: every value is made by the core's own functions, so a
// stored aggregate is one the core could really have produced. Ids are fresh per call, so tests
// sharing one database never see each other's rows.

let sequence = 0;
const fresh = (prefix: string): string => `${prefix}-${(sequence += 1)}`;

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
/** A fixed instant: minutes (may be fractional) after the fixtures' start; never the wall clock. */
export const at = (minutes: number): Date => new Date(T0 + Math.round(minutes * 60_000));

export const anOwner = (): OwnerId => OwnerId.parse(fresh('owner'))._unsafeUnwrap();
export const aPipelineId = (): PipelineId => PipelineId.parse(fresh('pipeline'))._unsafeUnwrap();
export const aModelId = (): ModelId => ModelId.parse(fresh('model'))._unsafeUnwrap();
export const aTrainingId = (): string => fresh('trn');
export const aDeliveryId = (): string => fresh('msg');

export function shaOf(label: string): Sha256 {
  return trusted<Sha256>(createHash('sha256').update(label).digest('hex'));
}

export function anUpload(ownerId: OwnerId, fields: { contentType?: ImageType; createdAt?: Date; sha256?: Sha256 } = {}): Upload {
  const id = UploadId.parse(fresh('upload'))._unsafeUnwrap();
  return newUpload({
    id,
    ownerId,
    sha256: fields.sha256 ?? shaOf(`bytes of ${id}`),
    byteSize: 100_000 + sequence,
    facts: { contentType: fields.contentType ?? 'image/jpeg', width: 1024, height: 768 },
    now: fields.createdAt ?? at(0),
  });
}

export function photosOf(ownerId: OwnerId, count = 3): Upload[] {
  const types: ImageType[] = ['image/jpeg', 'image/png', 'image/webp'];
  return Array.from({ length: count }, (_, index) => anUpload(ownerId, { contentType: types[index % types.length] }));
}

export function setOf(ownerId: OwnerId, uploads: readonly Upload[]): TrainingSet {
  return trainingSetFrom(ownerId, uploads, 1)._unsafeUnwrap();
}

/** A training set naming arbitrary photos, as a forged or corrupted input would: the storage must refuse it. */
export function forgedSet(ownerId: OwnerId, uploads: readonly Upload[]): TrainingSet {
  const items = uploads.map((u): TrainingSetItem => ({ uploadId: u.id, sha256: u.sha256, byteSize: u.byteSize, contentType: u.contentType }));
  return restoreTrainingSet(ownerId, items as unknown as NonEmpty<TrainingSetItem>);
}

export function queued(
  trainingSet: TrainingSet,
  fields: { id?: PipelineId; idempotencyKey?: string | null; restartOf?: PipelineId | null; createdAt?: Date } = {},
): QueuedPipeline {
  return createPipeline({
    id: fields.id ?? aPipelineId(),
    trainingSet,
    destination: destinationFor({ kind: 'per-owner', account: 'acme' }, trainingSet.ownerId),
    triggerWord: 'TOK',
    idempotencyKey: fields.idempotencyKey ?? null,
    restartOf: fields.restartOf ?? null,
    now: fields.createdAt ?? at(0),
  });
}

// One step of the life cycle each, from the stored previous stage, with faithful storage facts.

export const verifying = (p: QueuedPipeline): VerifyingUploadsPipeline => beginVerification(p, at(1));

export function packaging(p: VerifyingUploadsPipeline, uploads: readonly Upload[]): PackagingPipeline {
  const rows = new Map(uploads.map((u) => [u.id, u]));
  const objects = new Map(
    uploads.map((u): [UploadId, StoredObjectFacts] => [u.id, { exists: true, byteSize: u.byteSize, sha256: u.sha256, sniffedType: u.contentType }]),
  );
  return uploadsVerified(p, verifyUploads(p.trainingSet, rows, objects)._unsafeUnwrap(), at(2));
}

function faithfulPackage(p: PackagingPipeline): PackageFacts {
  const entries = p.trainingSet.items.map((item) => ({ name: entryName(item), sha256: item.sha256, byteSize: item.byteSize }));
  return {
    key: packageKey(p.ownerId, p.id),
    sha256: shaOf(`zip of ${p.id}`),
    byteSize: entries.reduce((total, entry) => total + entry.byteSize + 100, 22),
    entries,
  };
}

export const verifyingPackage = (p: PackagingPipeline): VerifyingPackagePipeline => packageWritten(p, faithfulPackage(p), at(3));

export const submitting = (p: VerifyingPackagePipeline): SubmittingPipeline =>
  packageVerified(p, verifyPackage(p.trainingSet, p.id, p.package, p.package)._unsafeUnwrap(), at(4));

export const training = (p: SubmittingPipeline, trainerTrainingId = aTrainingId()): TrainingStagePipeline =>
  submitted(p, { trainerTrainingId, destination: p.destination, status: 'starting', outputVersion: null, error: null }, at(5))._unsafeUnwrap();

export function succeeded(p: TrainingStagePipeline, modelId = aModelId()): { pipeline: SucceededPipeline; model: Model } {
  const version = `${p.destination.owner}/${p.destination.name}:${shaOf(`weights of ${p.id}`)}`;
  const report = { trainerTrainingId: p.trainerTrainingId, destination: p.destination, status: 'succeeded' as const, outputVersion: version, error: null };
  return trainingSucceeded(p, report, modelId, at(6))._unsafeUnwrap();
}

export const failed = (p: ActivePipeline): FailedOrCanceledPipeline => failPipeline(p, domainError('verify.hash_mismatch', 'test'), at(7));
export const canceled = (p: ActivePipeline): FailedOrCanceledPipeline => cancelPipeline(p, 'training.canceled_by_owner', at(7));
export const cleanedUp = (p: TerminalPipeline): TerminalPipeline => cleanUpDone(p, at(8));
