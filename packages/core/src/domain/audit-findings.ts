import { destinationFor, destinationRef, parseVersion, sameDestination, type Destination, type DestinationStrategy } from './destination.js';
import type { AuditViolation } from './audit-violation.js';
import type { ModelId, OwnerId, PipelineId, UploadId } from './ids.js';
import type { Model } from './model.js';
import { ownerRef } from './owner-ref.js';
import { checkWrittenPackage } from './training-package.js';
import { isActive, needsCleanup, owesCancelAtTrainer, type TerminalPipeline, type TrainingPipeline } from './training-pipeline.js';
import { UPLOAD_SLOT_TTL_SECONDS, uploadKey, type Upload } from './upload.js';

export interface AuditPolicy {
  /** A pipeline unfinished, or ended but still owing clean-up, not updated for longer than this is reported stuck. */
  readonly stuckAfterMs: number;
  /**
   * Objects, rows, trainer versions and trainings younger than this are not judged: a write in
   * flight has its object before its row (uploads) or its row before its object (packages) for a
   * moment, and a trainer's result or accepted submission is recorded a moment after it exists.
   */
  readonly graceMs: number;
  /** Our webhook URL: a training reporting to it must be one we submitted. Null skips that check. */
  readonly webhookUrl: string | null;
}

export const defaultAuditPolicy: AuditPolicy = { stuckAfterMs: 24 * 3_600_000, graceMs: 3_600_000, webhookUrl: null };

export interface AuditedObject {
  readonly key: string;
  readonly byteSize: number;
  readonly lastModified: Date;
}

export interface AuditedTraining {
  readonly trainerTrainingId: string;
  readonly destination: Destination | null;
  readonly webhook: string | null;
  readonly status: string;
  readonly outputVersion: string | null;
  readonly createdAt: Date | null;
  /** The pipeline the training says it was submitted for (its input's package key), or null. */
  readonly pipelineId: PipelineId | null;
}

export interface AuditedVersion {
  /** The destination it was listed at. */
  readonly destination: Destination;
  readonly version: string;
  readonly createdAt: Date | null;
}

/** Everything the audit read, from the database, object storage and the trainer. */
export interface AuditSnapshot {
  readonly now: Date;
  readonly strategy: DestinationStrategy;
  readonly owners: readonly OwnerId[];
  readonly uploads: readonly Upload[];
  readonly pipelines: readonly TrainingPipeline[];
  readonly models: readonly Model[];
  readonly objects: readonly AuditedObject[];
  readonly trainings: readonly AuditedTraining[];
  readonly versions: readonly AuditedVersion[];
  /** Tables of an owner the database could not read back; their rows are missing above. */
  readonly unreadable: readonly { readonly ownerId: OwnerId; readonly table: 'uploads' | 'pipelines' | 'models'; readonly detail: string }[];
}

/**
 * Where versions must be looked for: the destination of every owner we know of and of every
 * recorded pipeline, the shared destination, and any destination of our account the trainer's
 * trainings name (an owner with no rows at all, as in the incident, is found that way).
 */
export function destinationsToAudit(
  strategy: DestinationStrategy,
  owners: readonly OwnerId[],
  pipelines: readonly TrainingPipeline[],
  trainings: readonly AuditedTraining[],
): Destination[] {
  const found = new Map<string, Destination>();
  const add = (destination: Destination) => found.set(destinationRef(destination), destination);
  if (strategy.kind === 'shared') add({ owner: strategy.account, name: strategy.model });
  owners.forEach((owner) => add(destinationFor(strategy, owner)));
  pipelines.forEach((pipeline) => add(pipeline.destination));
  for (const training of trainings) {
    const named = training.destination ?? (training.outputVersion === null ? null : parseVersion(training.outputVersion)?.destination ?? null);
    if (named !== null && named.owner === strategy.account) add(named);
  }
  return [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, destination]) => destination);
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The owner a destination is named after (`selfie-lora-<owner ref>` at our account), whatever the
 * strategy now: a pipeline of the per-owner days keeps its destination after a switch to shared.
 */
function homeRefOf(strategy: DestinationStrategy, destination: Destination): string | null {
  const prefix = 'selfie-lora-';
  return destination.owner === strategy.account && destination.name.startsWith(prefix) ? destination.name.slice(prefix.length) : null;
}

/** The owner reference of a key under one of an owner's prefixes (`ownerObjectPrefixes`), else null. */
export function ownerRefOfKey(key: string): string | null {
  const [area, ref, ...rest] = key.split('/');
  return (area === 'uploads' || area === 'staging' || area === 'trainings') && ref !== undefined && ref !== '' && rest.length > 0 ? ref : null;
}

/**
 * Destinations already listed by earlier batches: per owner, each known owner's own destination
 * (`ownerRefs`, listed with that owner's batch); any other destination a batch listed.
 */
export interface ListedSoFar {
  readonly ownerRefs: ReadonlySet<string>;
  readonly destinations: ReadonlySet<string>;
}

/**
 * Which of `destinationsToAudit` a batch of owners lists now, and which wait for the end (`later`,
 * see `remainingDestinations`), so each destination is listed once however owners are batched. Per
 * owner, a batch lists its owners' own destinations; one a pipeline names that belongs to an owner
 * not read yet, or to nobody we know, waits. Shared, the shared destination waits and the rest is
 * listed the first time a batch names it.
 */
export function destinationsOfBatch(
  strategy: DestinationStrategy,
  owners: readonly OwnerId[],
  pipelines: readonly TrainingPipeline[],
  listed: ListedSoFar,
): { readonly now: Destination[]; readonly later: Destination[] } {
  const refs = new Set(owners.map(ownerRef));
  const now: Destination[] = [];
  const later: Destination[] = [];
  for (const destination of destinationsToAudit(strategy, owners, pipelines, [])) {
    const home = homeRefOf(strategy, destination);
    if (listed.destinations.has(destinationRef(destination))) continue;
    if (strategy.kind === 'shared') {
      (sameDestination(destination, { owner: strategy.account, name: strategy.model }) ? later : now).push(destination);
    } else if (home !== null && refs.has(home)) {
      now.push(destination);
    } else if (home === null || !listed.ownerRefs.has(home)) {
      later.push(destination);
    }
  }
  return { now, later };
}

/** What is left to list once every owner's batch ran: destinations that waited, and those only the trainer's trainings name. */
export function remainingDestinations(
  strategy: DestinationStrategy,
  later: readonly Destination[],
  trainings: readonly AuditedTraining[],
  listed: ListedSoFar,
): Destination[] {
  const found = new Map<string, Destination>();
  for (const destination of [...later, ...destinationsToAudit(strategy, [], [], trainings)]) {
    const home = homeRefOf(strategy, destination);
    const listedWithItsOwner = strategy.kind === 'per-owner' && home !== null && listed.ownerRefs.has(home);
    if (!listedWithItsOwner && !listed.destinations.has(destinationRef(destination))) found.set(destinationRef(destination), destination);
  }
  return [...found.entries()].sort(([a], [b]) => byText(a, b)).map(([, destination]) => destination);
}

/** Under the per-owner strategy a destination names its owner; under shared it is nobody's. */
export function ownersByDestination(strategy: DestinationStrategy, owners: readonly OwnerId[]): Map<string, OwnerId> {
  return new Map(strategy.kind === 'per-owner' ? owners.map((owner) => [destinationRef(destinationFor(strategy, owner)), owner]) : []);
}

/**
 * Other owners' rows that a batch's rows point at (a model's pipeline or photos, the model of a
 * pipeline), looked up by id so a judgement never depends on how owners were batched. Never judged.
 */
export interface RelatedRows {
  readonly pipelines: readonly TrainingPipeline[];
  readonly uploads: readonly Upload[];
  readonly models: readonly Model[];
}

export const NO_RELATED_ROWS: RelatedRows = { pipelines: [], uploads: [], models: [] };

/** What the audit read for a batch of owners: their rows, and the objects under their prefixes. */
export type OwnerBatch = Pick<AuditSnapshot, 'now' | 'strategy' | 'owners' | 'uploads' | 'pipelines' | 'models' | 'unreadable'> & {
  /** Objects under these owners' prefixes (`ownerObjectPrefixes`), and only those. */
  readonly objects: readonly AuditedObject[];
  readonly related: RelatedRows;
};

interface Index {
  readonly ownerByRef: ReadonlyMap<string, OwnerId>;
  readonly uploadById: ReadonlyMap<string, Upload>;
  readonly pipelineById: ReadonlyMap<string, TrainingPipeline>;
  readonly pipelineByTrainingId: ReadonlyMap<string, TrainingPipeline>;
  readonly modelByPipeline: ReadonlyMap<string, Model>;
}

function indexOf(owners: readonly OwnerId[], rows: RelatedRows): Index {
  const pipelineByTrainingId = new Map<string, TrainingPipeline>();
  for (const pipeline of rows.pipelines) {
    if ('trainerTrainingId' in pipeline && pipeline.trainerTrainingId !== null) pipelineByTrainingId.set(pipeline.trainerTrainingId, pipeline);
  }
  return {
    ownerByRef: new Map(owners.map((owner) => [ownerRef(owner), owner])),
    uploadById: new Map(rows.uploads.map((upload) => [upload.id, upload])),
    pipelineById: new Map(rows.pipelines.map((pipeline) => [pipeline.id, pipeline])),
    pipelineByTrainingId,
    modelByPipeline: new Map(rows.models.map((model) => [model.pipelineId, model])),
  };
}

/** The batch's rows first, so a row of the batch wins over a related copy of it. */
const batchIndex = (batch: OwnerBatch) =>
  indexOf(batch.owners, {
    pipelines: [...batch.related.pipelines, ...batch.pipelines],
    uploads: [...batch.related.uploads, ...batch.uploads],
    models: [...batch.related.models, ...batch.models],
  });

/** Why a pipeline's recorded manifest does not hold its training set, or null when it does or makes no claim. */
function manifestMismatch(pipeline: TrainingPipeline): string | null {
  // Only a package recorded as verified is a claim about the training set; a failed check is not.
  if (pipeline.status !== 'submitting' && pipeline.status !== 'training' && pipeline.status !== 'succeeded') return null;
  return checkWrittenPackage(pipeline.trainingSet, pipeline.id, pipeline.package).match(
    () => null,
    (error) => `${error.code}: ${error.detail ?? ''}`,
  );
}

/** The ids of other owners' rows the batch's rows point at, for the use case to look up (`RelatedRows`). */
export function relatedIdsOf(batch: Omit<OwnerBatch, 'related'>): {
  readonly pipelineIds: readonly PipelineId[];
  readonly uploadIds: readonly UploadId[];
  readonly modelsOfPipelines: readonly PipelineId[];
} {
  const pipelineIds = new Set(batch.pipelines.map((pipeline) => pipeline.id));
  const uploadIds = new Set<string>(batch.uploads.map((upload) => upload.id));
  const modelOf = new Set<string>(batch.models.map((model) => model.pipelineId));
  return {
    pipelineIds: [...new Set(batch.models.map((model) => model.pipelineId).filter((id) => !pipelineIds.has(id)))],
    uploadIds: [...new Set(batch.models.flatMap((model) => model.trainingSet.map((item) => item.uploadId)).filter((id) => !uploadIds.has(id)))],
    modelsOfPipelines: batch.pipelines.filter((pipeline) => !modelOf.has(pipeline.id) && manifestMismatch(pipeline) !== null).map((pipeline) => pipeline.id),
  };
}

const itemsRef = (items: readonly { readonly uploadId: string; readonly sha256: string }[]) =>
  items.map((item) => `${item.uploadId}:${item.sha256}`).join(',');

function modelFindings(model: Model, index: Index): AuditViolation[] {
  const found: AuditViolation[] = [];
  const { ownerId, id: modelId, pipelineId } = model;
  const pipeline = index.pipelineById.get(pipelineId);
  if (!pipeline || pipeline.ownerId !== ownerId || pipeline.status !== 'succeeded') {
    const pipelineStatus = !pipeline ? 'missing' : pipeline.ownerId !== ownerId ? 'other_owner' : pipeline.status;
    found.push({ kind: 'model.pipeline_not_succeeded', ownerId, modelId, pipelineId, pipelineStatus });
  }
  if (model.trainingSet.length === 0) found.push({ kind: 'model.empty_training_set', ownerId, modelId });
  const foreign = model.trainingSet
    .map((item) => ({ uploadId: item.uploadId, upload: index.uploadById.get(item.uploadId) }))
    .filter(({ upload }) => upload?.ownerId !== ownerId)
    .map(({ uploadId, upload }) => ({ uploadId, uploadOwnerId: upload?.ownerId ?? null }));
  if (foreign.length > 0) found.push({ kind: 'model.foreign_upload', ownerId, modelId, uploads: foreign });
  if (pipeline?.status === 'succeeded' && pipeline.ownerId === ownerId) {
    const differences = [
      pipeline.modelVersion !== model.version ? `version ${model.version}, pipeline produced ${pipeline.modelVersion}` : null,
      pipeline.modelId !== modelId ? `pipeline produced model ${pipeline.modelId}` : null,
      !sameDestination(pipeline.destination, model.destination) ? `destination ${destinationRef(model.destination)}, pipeline used ${destinationRef(pipeline.destination)}` : null,
      itemsRef(model.trainingSet) !== itemsRef(pipeline.trainingSet.items) ? 'training set differs from the pipeline\'s' : null,
    ].filter((difference) => difference !== null);
    if (differences.length > 0) {
      found.push({ kind: 'model.provenance_mismatch', ownerId, modelId, pipelineId, detail: differences.join('; ') });
    }
  }
  return found;
}

function pipelineFindings(pipeline: TrainingPipeline, now: Date, policy: AuditPolicy, index: Index): AuditViolation[] {
  const found: AuditViolation[] = [];
  const { ownerId, id: pipelineId } = pipeline;
  const mismatch = manifestMismatch(pipeline);
  if (mismatch !== null) {
    const modelId: ModelId | null = index.modelByPipeline.get(pipelineId)?.id ?? null;
    found.push({ kind: 'pipeline.manifest_mismatch', ownerId, pipelineId, modelId, detail: mismatch });
  }
  const stuckForMs = now.getTime() - pipeline.updatedAt.getTime();
  // An ended pipeline is stuck too while its clean-up stays owed: the worker keeps retrying it
  // (a trainer that will not cancel) and nothing else would show that it never gets done.
  const owes = isActive(pipeline) ? null : owedCleanup(pipeline);
  if ((isActive(pipeline) || owes !== null) && stuckForMs > policy.stuckAfterMs) {
    found.push({ kind: 'pipeline.stuck', ownerId, pipelineId, status: pipeline.status, updatedAt: pipeline.updatedAt, stuckForMs, ...(owes === null ? {} : { owes }) });
  }
  return found;
}

type OwedCleanup = NonNullable<Extract<AuditViolation, { kind: 'pipeline.stuck' }>['owes']>;

/** What an ended pipeline's clean-up still has to do, or null when nothing is owed. */
function owedCleanup(pipeline: TerminalPipeline): OwedCleanup | null {
  if (!needsCleanup(pipeline)) return null;
  // The package key is deleted first, but only recorded once the trainer stop is done too.
  return owesCancelAtTrainer(pipeline) ? ['trainer_stop', 'package_delete'] : ['package_delete'];
}

type OrphanReason = Extract<AuditViolation, { kind: 'object.orphan' }>['reason'];

/** Why no row accounts for this object, or null when one does. */
function orphanReason(object: AuditedObject, now: Date, index: Index): OrphanReason | null {
  const [area, ref = '', id = '', file, ...rest] = object.key.split('/');
  const owner = index.ownerByRef.get(ref);
  if (area === 'uploads' && file === undefined) {
    const upload = index.uploadById.get(id);
    // An owner reference nobody has (owner undefined) matches no upload's owner.
    if (!upload || upload.ownerId !== owner) return 'no_upload_row';
    return upload.status === 'deleted' ? 'upload_deleted' : null;
  }
  if (area === 'trainings' && file === 'training.zip' && rest.length === 0) {
    const pipeline = index.pipelineById.get(id);
    // The key is then exactly `packageKey(owner, pipeline.id)`: its parts were read from it.
    if (!pipeline || pipeline.ownerId !== owner) return 'no_pipeline';
    return isActive(pipeline) || needsCleanup(pipeline) ? null : 'package_released';
  }
  if (area === 'staging' && file === undefined) {
    // A slot is judged by `complete` (which removes it) within its TTL; after that nobody will.
    const age = now.getTime() - object.lastModified.getTime();
    return age > UPLOAD_SLOT_TTL_SECONDS * 1000 ? 'abandoned_staging' : null;
  }
  return 'unknown_key';
}

const settledAt = (now: Date, policy: AuditPolicy) => (at: Date) => now.getTime() - at.getTime() > policy.graceMs;

function orphanFindings(objects: readonly AuditedObject[], now: Date, policy: AuditPolicy, index: Index, ownerOfRef: (ref: string) => OwnerId | null): AuditViolation[] {
  const settled = settledAt(now, policy);
  return objects.flatMap((object): AuditViolation[] => {
    const reason = settled(object.lastModified) ? orphanReason(object, now, index) : null;
    if (reason === null) return [];
    const ownerId = ownerOfRef(object.key.split('/')[1] ?? '');
    return [{ kind: 'object.orphan', ownerId, key: object.key, byteSize: object.byteSize, lastModified: object.lastModified, reason }];
  });
}

function storageFindings(batch: OwnerBatch, policy: AuditPolicy, index: Index): AuditViolation[] {
  const settled = settledAt(batch.now, policy);
  const found = orphanFindings(batch.objects, batch.now, policy, index, (ref) => index.ownerByRef.get(ref) ?? null);
  const objects = new Map(batch.objects.map((object) => [object.key, object]));
  for (const upload of batch.uploads) {
    if (upload.status !== 'stored') continue;
    const key = uploadKey(upload.ownerId, upload.id);
    const object = objects.get(key);
    const uploadId: UploadId = upload.id;
    if (!object && settled(upload.createdAt)) {
      found.push({ kind: 'row.object_missing', ownerId: upload.ownerId, key, row: { type: 'upload', uploadId } });
    } else if (object && object.byteSize !== upload.byteSize) {
      found.push({ kind: 'row.object_size_differs', ownerId: upload.ownerId, key, uploadId, recordedBytes: upload.byteSize, storedBytes: object.byteSize });
    }
  }
  for (const pipeline of batch.pipelines) {
    // Until the training is done, a verified package must stay where it was verified.
    if (pipeline.status !== 'verifying_package' && pipeline.status !== 'submitting' && pipeline.status !== 'training') continue;
    const pipelineId: PipelineId = pipeline.id;
    if (!objects.has(pipeline.package.key) && settled(pipeline.updatedAt)) {
      found.push({ kind: 'row.object_missing', ownerId: pipeline.ownerId, key: pipeline.package.key, row: { type: 'package', pipelineId } });
    }
  }
  return found;
}

/**
 * Every violation found in one batch of owners' rows and the objects under their prefixes:
 * unreadable tables, models, pipelines, storage drift. The trainer's side is judged apart
 * (`unsettledVersions`, `versionFindings`, `trainingFindings`): it needs every owner's rows.
 */
export function batchFindings(batch: OwnerBatch, policy: AuditPolicy): AuditViolation[] {
  const index = batchIndex(batch);
  return [
    ...batch.unreadable.map((row): AuditViolation => ({ kind: 'row.unreadable', ...row })),
    ...batch.models.flatMap((model) => modelFindings(model, index)),
    ...batch.pipelines.flatMap((pipeline) => pipelineFindings(pipeline, batch.now, policy, index)),
    ...storageFindings(batch, policy, index),
  ];
}

/** Objects under no known owner's prefixes (`ownerRefOfKey` names nobody we know, or nothing): no row accounts for any of them. */
export function strayObjectFindings(
  objects: readonly AuditedObject[],
  now: Date,
  policy: AuditPolicy,
  ownerOfRef: (ref: string) => OwnerId | null,
): AuditViolation[] {
  return orphanFindings(objects, now, policy, indexOf([], NO_RELATED_ROWS), ownerOfRef);
}

/** The versions succeeded pipelines recorded as their result. */
export function recordedVersions(pipelines: readonly TrainingPipeline[]): string[] {
  return pipelines.flatMap((pipeline) => (pipeline.status === 'succeeded' ? [pipeline.modelVersion] : []));
}

/** A listed version no pipeline read so far recorded, past the grace: judged once every owner's rows were read. */
export interface UnsettledVersion {
  readonly listed: AuditedVersion;
  /** The owner its destination names (per owner), if we know them. */
  readonly destinationOwner: OwnerId | null;
}

// The rows were read before the trainer: what it made within the grace (a result, an accepted
// submission) may not be recorded yet. Of unknown age, it is judged.
const youngAt = (now: Date, policy: AuditPolicy) => (createdAt: Date | null) => createdAt !== null && now.getTime() - createdAt.getTime() < policy.graceMs;

export function unsettledVersions(
  versions: readonly AuditedVersion[],
  recorded: ReadonlySet<string>,
  now: Date,
  policy: AuditPolicy,
  destinationOwner: (destination: string) => OwnerId | null,
): UnsettledVersion[] {
  const young = youngAt(now, policy);
  return versions
    .filter((listed) => !recorded.has(listed.version) && !young(listed.createdAt))
    .map((listed) => ({ listed, destinationOwner: destinationOwner(destinationRef(listed.destination)) }));
}

/** The training that wrote each unsettled version, when the trainer still lists it. */
export function trainingsOfVersions(unsettled: readonly UnsettledVersion[], trainings: readonly AuditedTraining[]): AuditedTraining[] {
  return unsettled.flatMap(({ listed }) => {
    const training = trainings.find((candidate) => candidate.outputVersion === listed.version);
    return training === undefined ? [] : [training];
  });
}

/**
 * The recorded pipeline a listed training belongs to: the one that recorded its id, else the one
 * it names (a submission accepted whose id was never recorded: a refused or lost answer, a race
 * with a cancel), provided it names no other destination than that pipeline's.
 */
function pipelineOf(training: AuditedTraining, index: Index): TrainingPipeline | undefined {
  const recorded = index.pipelineByTrainingId.get(training.trainerTrainingId);
  if (recorded !== undefined || training.pipelineId === null) return recorded;
  const named = index.pipelineById.get(training.pipelineId);
  return named !== undefined && (training.destination === null || sameDestination(training.destination, named.destination)) ? named : undefined;
}

/**
 * The incident: unsettled versions that no succeeded pipeline recorded (`recorded` over every
 * owner's rows) and that are not the pending result of an active pipeline at their destination.
 * `pipelines` holds at least the pipelines the versions' trainings recorded or name.
 */
export function versionFindings(
  unsettled: readonly UnsettledVersion[],
  recorded: ReadonlySet<string>,
  trainings: readonly AuditedTraining[],
  pipelines: readonly TrainingPipeline[],
): AuditViolation[] {
  const index = indexOf([], { pipelines, uploads: [], models: [] });
  // A pipeline looked up for a version may have recorded it since its owner's rows were read.
  const recordedNow = new Set(recordedVersions(pipelines));
  return unsettled.flatMap(({ listed, destinationOwner }): AuditViolation[] => {
    if (recorded.has(listed.version) || recordedNow.has(listed.version)) return [];
    const training = trainings.find((candidate) => candidate.outputVersion === listed.version) ?? null;
    const pipeline = training === null ? undefined : pipelineOf(training, index);
    // Pending: the result of a training whose pipeline is still waiting for it, at its destination.
    if (pipeline !== undefined && isActive(pipeline) && sameDestination(pipeline.destination, listed.destination)) return [];
    return [{
      kind: 'version.unrecorded',
      ownerId: pipeline?.ownerId ?? destinationOwner,
      destination: destinationRef(listed.destination),
      version: listed.version,
      createdAt: listed.createdAt,
      trainerTrainingId: training?.trainerTrainingId ?? null,
      pipelineId: pipeline?.id ?? null,
    }];
  });
}

/** The listed trainings these pipelines account for: recorded by one of them, or naming one of them (at its destination). */
export function accountedTrainings(pipelines: readonly TrainingPipeline[], trainings: readonly AuditedTraining[]): string[] {
  const index = indexOf([], { pipelines, uploads: [], models: [] });
  return trainings.filter((training) => pipelineOf(training, index) !== undefined).map((training) => training.trainerTrainingId);
}

/** Trainings reporting to our webhook that no recorded pipeline accounts for (`accounted`, over every owner's pipelines). */
export function trainingFindings(
  trainings: readonly AuditedTraining[],
  accounted: ReadonlySet<string>,
  now: Date,
  policy: AuditPolicy,
  destinationOwner: (destination: string) => OwnerId | null,
): AuditViolation[] {
  if (policy.webhookUrl === null) return [];
  const young = youngAt(now, policy);
  return trainings.flatMap((training): AuditViolation[] => {
    // Ours whatever its status: a training of a recorded pipeline (clean-up cancels the ones it no longer wants).
    if (training.webhook !== policy.webhookUrl || accounted.has(training.trainerTrainingId) || young(training.createdAt)) return [];
    const destination = training.destination === null ? null : destinationRef(training.destination);
    return [{
      kind: 'training.unknown',
      ownerId: destination === null ? null : destinationOwner(destination),
      trainerTrainingId: training.trainerTrainingId,
      destination,
      status: training.status,
      outputVersion: training.outputVersion,
      createdAt: training.createdAt,
    }];
  });
}

/** Report order: by section as below, versions by destination and objects by key within theirs, otherwise as found. */
function sectionOf(violation: AuditViolation): readonly [number, string] {
  switch (violation.kind) {
    case 'row.unreadable':
      return [0, ''];
    case 'version.unrecorded':
      return [1, violation.destination];
    case 'training.unknown':
      return [2, ''];
    case 'model.pipeline_not_succeeded':
    case 'model.empty_training_set':
    case 'model.foreign_upload':
    case 'model.provenance_mismatch':
      return [3, ''];
    case 'pipeline.manifest_mismatch':
    case 'pipeline.stuck':
      return [4, ''];
    case 'object.orphan':
      return [5, violation.key];
    case 'row.object_missing':
      return [violation.row.type === 'upload' ? 6 : 7, ''];
    case 'row.object_size_differs':
      return [6, ''];
  }
}

/** The one order of a report, however its parts were found (owners in batches, then the rest). Stable. */
export function inReportOrder(violations: readonly AuditViolation[]): AuditViolation[] {
  return violations
    .map((violation, at) => ({ violation, at, section: sectionOf(violation) }))
    .sort((a, b) => a.section[0] - b.section[0] || byText(a.section[1], b.section[1]) || a.at - b.at)
    .map(({ violation }) => violation);
}

/**
 * Every violation in what the audit read. Pure: the same snapshot always gives the same report.
 * The snapshot is judged as one batch of every owner, with the same detectors the batched audit runs.
 */
export function findViolations(snapshot: AuditSnapshot, policy: AuditPolicy): AuditViolation[] {
  const refs = new Map(snapshot.owners.map((owner) => [ownerRef(owner), owner]));
  const underOwner = (object: AuditedObject) => {
    const ref = ownerRefOfKey(object.key);
    return ref !== null && refs.has(ref);
  };
  const byDestination = ownersByDestination(snapshot.strategy, snapshot.owners);
  const destinationOwner = (destination: string) => byDestination.get(destination) ?? null;
  const recorded = new Set(recordedVersions(snapshot.pipelines));
  const unsettled = unsettledVersions(snapshot.versions, recorded, snapshot.now, policy, destinationOwner);
  return inReportOrder([
    ...batchFindings({ ...snapshot, objects: snapshot.objects.filter(underOwner), related: NO_RELATED_ROWS }, policy),
    ...versionFindings(unsettled, recorded, snapshot.trainings, snapshot.pipelines),
    ...trainingFindings(snapshot.trainings, new Set(accountedTrainings(snapshot.pipelines, snapshot.trainings)), snapshot.now, policy, destinationOwner),
    ...strayObjectFindings(snapshot.objects.filter((object) => !underOwner(object)), snapshot.now, policy, (ref) => refs.get(ref) ?? null),
  ]);
}
