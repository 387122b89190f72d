import { destinationFor, destinationRef, parseVersion, sameDestination, type Destination, type DestinationStrategy } from './destination.js';
import type { AuditViolation } from './audit-violation.js';
import type { ModelId, OwnerId, PipelineId, UploadId } from './ids.js';
import type { Model } from './model.js';
import { ownerRef } from './owner-ref.js';
import { checkWrittenPackage, packageKey } from './training-package.js';
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

interface Index {
  readonly ownerByRef: ReadonlyMap<string, OwnerId>;
  readonly ownerByDestination: ReadonlyMap<string, OwnerId>;
  readonly uploadById: ReadonlyMap<string, Upload>;
  readonly pipelineById: ReadonlyMap<string, TrainingPipeline>;
  readonly pipelineByTrainingId: ReadonlyMap<string, TrainingPipeline>;
  readonly modelByPipeline: ReadonlyMap<string, Model>;
}

function indexOf(snapshot: AuditSnapshot): Index {
  const ownerByDestination = new Map<string, OwnerId>();
  // Under the shared strategy a destination is nobody's; per owner, it names its owner.
  if (snapshot.strategy.kind === 'per-owner') {
    snapshot.owners.forEach((owner) => ownerByDestination.set(destinationRef(destinationFor(snapshot.strategy, owner)), owner));
  }
  const pipelineByTrainingId = new Map<string, TrainingPipeline>();
  for (const pipeline of snapshot.pipelines) {
    if ('trainerTrainingId' in pipeline && pipeline.trainerTrainingId !== null) pipelineByTrainingId.set(pipeline.trainerTrainingId, pipeline);
  }
  return {
    ownerByRef: new Map(snapshot.owners.map((owner) => [ownerRef(owner), owner])),
    ownerByDestination,
    uploadById: new Map(snapshot.uploads.map((upload) => [upload.id, upload])),
    pipelineById: new Map(snapshot.pipelines.map((pipeline) => [pipeline.id, pipeline])),
    pipelineByTrainingId,
    modelByPipeline: new Map(snapshot.models.map((model) => [model.pipelineId, model])),
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

function pipelineFindings(pipeline: TrainingPipeline, snapshot: AuditSnapshot, policy: AuditPolicy, index: Index): AuditViolation[] {
  const found: AuditViolation[] = [];
  const { ownerId, id: pipelineId } = pipeline;
  // Only a package recorded as verified is a claim about the training set; a failed check is not.
  if (pipeline.status === 'submitting' || pipeline.status === 'training' || pipeline.status === 'succeeded') {
    checkWrittenPackage(pipeline.trainingSet, pipelineId, pipeline.package).match(
      () => undefined,
      (error) => {
        const modelId: ModelId | null = index.modelByPipeline.get(pipelineId)?.id ?? null;
        found.push({ kind: 'pipeline.manifest_mismatch', ownerId, pipelineId, modelId, detail: `${error.code}: ${error.detail ?? ''}` });
      },
    );
  }
  const stuckForMs = snapshot.now.getTime() - pipeline.updatedAt.getTime();
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
function orphanReason(object: AuditedObject, snapshot: AuditSnapshot, index: Index): OrphanReason | null {
  const [area, ref = '', id = '', file, ...rest] = object.key.split('/');
  const owner = index.ownerByRef.get(ref);
  if (area === 'uploads' && file === undefined) {
    const upload = index.uploadById.get(id);
    if (!upload || owner === undefined || upload.ownerId !== owner) return 'no_upload_row';
    return upload.status === 'deleted' ? 'upload_deleted' : null;
  }
  if (area === 'trainings' && file === 'training.zip' && rest.length === 0) {
    const pipeline = index.pipelineById.get(id);
    if (!pipeline || owner === undefined || object.key !== packageKey(owner, pipeline.id) || pipeline.ownerId !== owner) return 'no_pipeline';
    return isActive(pipeline) || needsCleanup(pipeline) ? null : 'package_released';
  }
  if (area === 'staging' && file === undefined) {
    // A slot is judged by `complete` (which removes it) within its TTL; after that nobody will.
    const age = snapshot.now.getTime() - object.lastModified.getTime();
    return age > UPLOAD_SLOT_TTL_SECONDS * 1000 ? 'abandoned_staging' : null;
  }
  return 'unknown_key';
}

function storageFindings(snapshot: AuditSnapshot, policy: AuditPolicy, index: Index): AuditViolation[] {
  const found: AuditViolation[] = [];
  const settled = (at: Date) => snapshot.now.getTime() - at.getTime() > policy.graceMs;
  const objects = new Map(snapshot.objects.map((object) => [object.key, object]));
  for (const object of snapshot.objects) {
    const reason = settled(object.lastModified) ? orphanReason(object, snapshot, index) : null;
    if (reason !== null) {
      const ownerId = index.ownerByRef.get(object.key.split('/')[1] ?? '') ?? null;
      found.push({ kind: 'object.orphan', ownerId, key: object.key, byteSize: object.byteSize, lastModified: object.lastModified, reason });
    }
  }
  for (const upload of snapshot.uploads) {
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
  for (const pipeline of snapshot.pipelines) {
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

function trainerFindings(snapshot: AuditSnapshot, policy: AuditPolicy, index: Index): AuditViolation[] {
  const found: AuditViolation[] = [];
  // The rows were read before the trainer: what it made within the grace (a result, an accepted
  // submission) may not be recorded yet. Of unknown age, it is judged.
  const young = (createdAt: Date | null) => createdAt !== null && snapshot.now.getTime() - createdAt.getTime() < policy.graceMs;
  const recorded = new Set(snapshot.pipelines.flatMap((pipeline) => (pipeline.status === 'succeeded' ? [pipeline.modelVersion] : [])));
  for (const listed of snapshot.versions) {
    if (recorded.has(listed.version) || young(listed.createdAt)) continue;
    const training = snapshot.trainings.find((candidate) => candidate.outputVersion === listed.version) ?? null;
    const pipeline = training === null ? undefined : pipelineOf(training, index);
    // Pending: the result of a training whose pipeline is still waiting for it, at its destination.
    if (pipeline !== undefined && isActive(pipeline) && sameDestination(pipeline.destination, listed.destination)) continue;
    const destination = destinationRef(listed.destination);
    found.push({
      kind: 'version.unrecorded',
      ownerId: pipeline?.ownerId ?? index.ownerByDestination.get(destination) ?? null,
      destination,
      version: listed.version,
      createdAt: listed.createdAt,
      trainerTrainingId: training?.trainerTrainingId ?? null,
      pipelineId: pipeline?.id ?? null,
    });
  }
  if (policy.webhookUrl !== null) {
    for (const training of snapshot.trainings) {
      // Ours whatever its status: a training of a recorded pipeline (clean-up cancels the ones it no longer wants).
      if (training.webhook !== policy.webhookUrl || pipelineOf(training, index) !== undefined || young(training.createdAt)) continue;
      const destination = training.destination === null ? null : destinationRef(training.destination);
      found.push({
        kind: 'training.unknown',
        ownerId: destination === null ? null : index.ownerByDestination.get(destination) ?? null,
        trainerTrainingId: training.trainerTrainingId,
        destination,
        status: training.status,
        outputVersion: training.outputVersion,
        createdAt: training.createdAt,
      });
    }
  }
  return found;
}

/** Every violation in what the audit read. Pure: the same snapshot always gives the same report. */
export function findViolations(snapshot: AuditSnapshot, policy: AuditPolicy): AuditViolation[] {
  const index = indexOf(snapshot);
  return [
    ...snapshot.unreadable.map((row): AuditViolation => ({ kind: 'row.unreadable', ...row })),
    ...trainerFindings(snapshot, policy, index),
    ...snapshot.models.flatMap((model) => modelFindings(model, index)),
    ...snapshot.pipelines.flatMap((pipeline) => pipelineFindings(pipeline, snapshot, policy, index)),
    ...storageFindings(snapshot, policy, index),
  ];
}
