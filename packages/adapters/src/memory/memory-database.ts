import { err, errAsync, ok, okAsync, ResultAsync, type Result } from 'neverthrow';
import {
  domainError,
  erasureRef,
  type Erasure,
  type Erasures,
  isActive,
  isAllowedTransition,
  needsCleanup,
  sameDestination,
  transientError,
  type Model,
  type ModelId,
  type Models,
  type OwnerId,
  type Owners,
  type PendingUpload,
  type PendingUploads,
  type PersistenceError,
  type PipelineId,
  type Pipelines,
  type Repositories,
  type Sha256,
  isScrubbed,
  storedUsage,
  type TrainingPipeline,
  type UnitOfWork,
  type Upload,
  type UploadId,
  type Uploads,
  type UploadSlots,
  type WebhookDeliveries,
} from '@selfie-lora/core';
import { FaultPlan } from './fault-plan.js';

/** Every row of a `MemoryDatabase`, keyed by id (`webhookDeliveries`: delivery id -> received at). */
export interface MemoryTables {
  uploads: Map<string, Upload>;
  pipelines: Map<string, TrainingPipeline>;
  models: Map<string, Model>;
  webhookDeliveries: Map<string, Date>;
  /** Keyed by `erasureRef` of the target. */
  erasures: Map<string, Erasure>;
  /** Photos received and checking, or refused, by upload id. */
  pendingUploads: Map<string, PendingUpload>;
  /** Open upload slots by upload id. */
  uploadSlots: Map<string, { readonly ownerId: OwnerId; readonly expiresAt: Date }>;
}

const conflict = (detail: string): PersistenceError => domainError('persistence.conflict', detail);
const constraint = (detail: string): PersistenceError => domainError('persistence.constraint', detail);

/**
 * Write with optimistic concurrency: the stored row must still be at the revision the caller
 * read, and the new row is stored at the next revision.
 */
function revise<T extends { readonly id: string; readonly revision: number }, R extends T>(
  table: Map<string, T>,
  row: R,
  check: (stored: T) => PersistenceError | null,
): Result<R, PersistenceError> {
  const stored = table.get(row.id);
  if (!stored) return err(conflict(`row ${row.id} does not exist`));
  if (stored.revision !== row.revision) return err(conflict(`row ${row.id} is at revision ${stored.revision}, not ${row.revision}`));
  const refused = check(stored);
  if (refused) return err(refused);
  const next = { ...row, revision: row.revision + 1 };
  table.set(row.id, next);
  return ok(next);
}

/**
 * Rows in memory, with the same integrity rules the Postgres schema enforces (ownership of
 * training-set photos, one active pipeline per owner, allowed status edges, models only from
 * succeeded pipelines), so that the core cannot lean on a check the real database would not make.
 * Transactions run one at a time on a copy, committed only when the work returns Ok.
 */
export class MemoryDatabase implements UnitOfWork {
  readonly faults = new FaultPlan<'transaction'>();
  private tables: MemoryTables = { uploads: new Map(), pipelines: new Map(), models: new Map(), webhookDeliveries: new Map(), erasures: new Map(), uploadSlots: new Map(), pendingUploads: new Map() };
  private queue: Promise<unknown> = Promise.resolve();

  transaction<T, E>(work: (repositories: Repositories) => ResultAsync<T, E>): ResultAsync<T, E | PersistenceError> {
    const run = async (): Promise<Result<T, E | PersistenceError>> => {
      if (this.faults.take('transaction')) return err(transientError('persistence.unavailable', 'injected fault'));
      const draft: MemoryTables = structuredClone(this.tables);
      // As in Postgres: a throw inside the work (or a rejected promise) rolls back and is an Err.
      const worked = ResultAsync.fromPromise(Promise.resolve().then(() => work(repositoriesOver(draft))), (cause) =>
        domainError('persistence.unavailable', `work threw: ${String(cause)}`),
      ).andThen((result) => result);
      return worked.map((value) => {
        this.tables = draft;
        return value;
      });
    };
    const done = this.queue.then(run);
    this.queue = done.catch(() => undefined);
    return new ResultAsync(done);
  }

  /**
   * Writes rows out of band, bypassing every integrity rule, as a DBA with constraints off would;
   * for audit tests only (planting states the repositories refuse). `edit` mutates a copy of the
   * tables, which replaces them once it returns. It is queued like a transaction (between two,
   * never inside one), so a transaction committing later cannot undo it and a transaction started
   * after the call sees it. If `edit` throws, nothing changes and the promise rejects.
   */
  tamper(edit: (tables: MemoryTables) => void): Promise<void> {
    const done = this.queue.then(() => {
      const draft: MemoryTables = structuredClone(this.tables);
      edit(draft);
      this.tables = draft;
    });
    this.queue = done.catch(() => undefined);
    return done;
  }

  /** A consistent copy of every row, for assertions. */
  snapshot(): { uploads: Upload[]; pendingUploads: PendingUpload[]; pipelines: TrainingPipeline[]; models: Model[] } {
    const copy = structuredClone(this.tables);
    return {
      uploads: [...copy.uploads.values()],
      pendingUploads: [...copy.pendingUploads.values()],
      pipelines: [...copy.pipelines.values()],
      models: [...copy.models.values()],
    };
  }

  /** Every erasure row, for assertions. */
  erasureRows(): Erasure[] {
    return [...structuredClone(this.tables.erasures).values()];
  }
}

/** The schema's UNIQUE(trainer_training_id): one training belongs to one pipeline. */
function trainerIdTaken(tables: MemoryTables, pipeline: TrainingPipeline): boolean {
  if (!('trainerTrainingId' in pipeline) || pipeline.trainerTrainingId === null) return false;
  const id = pipeline.trainerTrainingId;
  return [...tables.pipelines.values()].some((p) => p.id !== pipeline.id && 'trainerTrainingId' in p && p.trainerTrainingId === id);
}

// Byte order, as Postgres `COLLATE "C"` sorts the ids (which are ASCII).
const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Pipelines newest first, ties by id, as the Postgres adapter orders them. */
const newestFirst = (a: TrainingPipeline, b: TrainingPipeline) => b.createdAt.getTime() - a.createdAt.getTime() || b.id.localeCompare(a.id);

function repositoriesOver(tables: MemoryTables): Repositories {
  const owners: Owners = {
    listKnown: () =>
      okAsync(
        [
          ...new Set<OwnerId>([
            ...[...tables.uploads.values()].map((u) => u.ownerId),
            ...[...tables.pipelines.values()].map((p) => p.ownerId),
            ...[...tables.models.values()].map((m) => m.ownerId),
          ]),
        ].sort(byId),
      ),
    listKnownAfter: (after: OwnerId | null, limit: number) =>
      owners.listKnown().map((known) => known.filter((owner) => after === null || byId(owner, after) > 0).slice(0, limit)),
  };

  const uploads: Uploads = {
    get: (ownerId: OwnerId, id: UploadId) => {
      const row = tables.uploads.get(id);
      return okAsync(row && row.ownerId === ownerId ? row : null);
    },
    getById: (id: UploadId) => okAsync(tables.uploads.get(id) ?? null),
    findStoredBySha256: (ownerId: OwnerId, sha256: Sha256) =>
      okAsync([...tables.uploads.values()].find((u) => u.ownerId === ownerId && u.sha256 === sha256 && u.status === 'stored') ?? null),
    findStoredBySourceSha256: (ownerId: OwnerId, sourceSha256: Sha256) =>
      okAsync([...tables.uploads.values()].find((u) => u.ownerId === ownerId && u.sourceSha256 === sourceSha256 && u.status === 'stored') ?? null),
    listByOwner: (ownerId: OwnerId, options?: { includeDeleted?: boolean }) =>
      okAsync(
        [...tables.uploads.values()]
          .filter((u) => u.ownerId === ownerId && (options?.includeDeleted === true || u.status === 'stored'))
          .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id)),
      ),
    // Transactions here run one at a time: nothing can change the rows before this one ends.
    listStoredForTraining: (ownerId: OwnerId) => uploads.listByOwner(ownerId),
    listPastRetention: ({ succeededBy, limit }: { succeededBy: Date; limit: number }) => {
      const inSetOf = (pipeline: TrainingPipeline | undefined, upload: Upload) =>
        pipeline !== undefined && pipeline.ownerId === upload.ownerId && pipeline.trainingSet.items.some((item) => item.uploadId === upload.id);
      const trainedLongAgo = (upload: Upload) =>
        [...tables.models.values()].some((m) => m.createdAt.getTime() <= succeededBy.getTime() && inSetOf(tables.pipelines.get(m.pipelineId), upload));
      const inActiveSet = (upload: Upload) => [...tables.pipelines.values()].some((p) => isActive(p) && inSetOf(p, upload));
      return okAsync(
        [...tables.uploads.values()]
          .filter((u) => u.status === 'stored' && trainedLongAgo(u) && !inActiveSet(u))
          .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
          .slice(0, limit),
      );
    },
    storedUsage: (ownerId: OwnerId) => okAsync(storedUsage([...tables.uploads.values()].filter((upload) => upload.ownerId === ownerId))),
    insert: (upload: Upload) => {
      if (tables.uploads.has(upload.id)) return errAsync(conflict(`upload ${upload.id} exists`));
      const same = [...tables.uploads.values()].some(
        (u) =>
          u.ownerId === upload.ownerId &&
          (u.sha256 === upload.sha256 || u.sourceSha256 === upload.sourceSha256) &&
          u.status === 'stored' &&
          upload.status === 'stored',
      );
      if (same) return errAsync(conflict(`owner already stores ${upload.sha256}`));
      tables.uploads.set(upload.id, upload);
      return okAsync(upload);
    },
    update: (upload: Upload) =>
      revise(tables.uploads, upload, (stored) =>
        stored.ownerId !== upload.ownerId ||
        stored.sha256 !== upload.sha256 ||
        stored.sourceSha256 !== upload.sourceSha256 ||
        stored.byteSize !== upload.byteSize ||
        stored.contentType !== upload.contentType
          ? constraint('owner and content of an upload never change')
          : stored.status === 'deleted' && upload.status !== 'deleted'
            ? constraint('a deleted upload stays deleted')
            : null,
      ).asyncAndThen((row) => okAsync(row)),
  };

  const pipelines: Pipelines = {
    get: (ownerId: OwnerId, id: PipelineId) => {
      const row = tables.pipelines.get(id);
      return okAsync(row && row.ownerId === ownerId ? row : null);
    },
    getById: (id: PipelineId) => okAsync(tables.pipelines.get(id) ?? null),
    findActive: (ownerId: OwnerId) =>
      okAsync([...tables.pipelines.values()].find((p) => p.ownerId === ownerId && isActive(p)) ?? null),
    findByIdempotencyKey: (ownerId: OwnerId, key: string) =>
      okAsync([...tables.pipelines.values()].find((p) => p.ownerId === ownerId && p.idempotencyKey === key) ?? null),
    findByTrainerTrainingId: (trainerTrainingId: string) =>
      okAsync(
        [...tables.pipelines.values()].find((p) => 'trainerTrainingId' in p && p.trainerTrainingId === trainerTrainingId) ?? null,
      ),
    listByOwner: (ownerId: OwnerId) =>
      okAsync(
        [...tables.pipelines.values()]
          .filter((p) => p.ownerId === ownerId)
          .sort(newestFirst),
      ),
    listUnfinished: () =>
      okAsync(
        [...tables.pipelines.values()]
          .filter((p) => isActive(p) || needsCleanup(p))
          .map((p) => p.id),
      ),
    listAwaitingTrainer: (limit: number) =>
      okAsync(
        [...tables.pipelines.values()]
          .filter((p) => p.status === 'training')
          .sort(newestFirst)
          .slice(0, limit)
          .map((p) => ({ pipelineId: p.id, trainerTrainingId: p.trainerTrainingId, pipelineCreatedAt: p.createdAt })),
      ),
    insert: (pipeline: TrainingPipeline) => {
      if (tables.pipelines.has(pipeline.id)) return errAsync(conflict(`pipeline ${pipeline.id} exists`));
      // I1 as the schema states it: each item references (owner_id, upload_id) of an existing upload.
      if (pipeline.trainingSet.ownerId !== pipeline.ownerId) return errAsync(constraint('training set of another owner'));
      for (const item of pipeline.trainingSet.items) {
        const upload = tables.uploads.get(item.uploadId);
        if (!upload || upload.ownerId !== pipeline.ownerId) {
          return errAsync(constraint(`training-set item ${item.uploadId} is not an upload of ${pipeline.ownerId}`));
        }
      }
      if (pipeline.restartOf !== null && tables.pipelines.get(pipeline.restartOf)?.ownerId !== pipeline.ownerId) {
        return errAsync(constraint(`pipeline ${pipeline.id} restarts a pipeline that is not its owner's`));
      }
      if (trainerIdTaken(tables, pipeline)) return errAsync(conflict('trainer training id already recorded'));
      // I8: one non-terminal pipeline per owner.
      if (isActive(pipeline) && [...tables.pipelines.values()].some((p) => p.ownerId === pipeline.ownerId && isActive(p))) {
        return errAsync(conflict(`owner ${pipeline.ownerId} already has an active pipeline`));
      }
      if (
        pipeline.idempotencyKey !== null &&
        [...tables.pipelines.values()].some((p) => p.ownerId === pipeline.ownerId && p.idempotencyKey === pipeline.idempotencyKey)
      ) {
        return errAsync(conflict('idempotency key already used'));
      }
      tables.pipelines.set(pipeline.id, pipeline);
      return okAsync(pipeline);
    },
    update: <P extends TrainingPipeline>(pipeline: P) =>
      revise(tables.pipelines, pipeline, (stored) => {
        if (stored.ownerId !== pipeline.ownerId) return constraint('a pipeline never changes owner');
        if (!sameDestination(stored.destination, pipeline.destination)) return constraint('a pipeline never changes destination');
        if (JSON.stringify(stored.trainingSet) !== JSON.stringify(pipeline.trainingSet)) {
          return constraint('a training set never changes');
        }
        // What the owner wrote stays as written, until the owner's erasure scrubs both at once.
        if ((stored.triggerWord !== pipeline.triggerWord || stored.idempotencyKey !== pipeline.idempotencyKey) && !isScrubbed(pipeline)) {
          return constraint('a trigger word and idempotency key change only to be erased');
        }
        // I5: a pipeline keeps the training it was submitted as.
        const recorded = 'trainerTrainingId' in stored ? stored.trainerTrainingId : null;
        if (recorded !== null && (!('trainerTrainingId' in pipeline) || pipeline.trainerTrainingId !== recorded)) {
          return constraint('a pipeline keeps its training');
        }
        // I7: status moves only along allowed edges.
        if (stored.status !== pipeline.status && !isAllowedTransition(stored.status, pipeline.status)) {
          return constraint(`no edge ${stored.status} -> ${pipeline.status}`);
        }
        return trainerIdTaken(tables, pipeline) ? conflict('trainer training id already recorded') : null;
      }).asyncAndThen((row) => okAsync(row)),
  };

  const models: Models = {
    getById: (id: ModelId) => okAsync(tables.models.get(id) ?? null),
    listByOwner: (ownerId: OwnerId) =>
      okAsync(
        [...tables.models.values()]
          .filter((m) => m.ownerId === ownerId)
          .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      ),
    findByPipeline: (pipelineId: PipelineId) =>
      okAsync([...tables.models.values()].find((m) => m.pipelineId === pipelineId) ?? null),
    insert: (model: Model) => {
      if (tables.models.has(model.id)) return errAsync(conflict(`model ${model.id} exists`));
      if ([...tables.models.values()].some((m) => m.pipelineId === model.pipelineId)) {
        return errAsync(conflict(`pipeline ${model.pipelineId} already produced a model`));
      }
      // I6: a model references its owner's succeeded pipeline, whose training set it repeats.
      const pipeline = tables.pipelines.get(model.pipelineId);
      if (!pipeline || pipeline.ownerId !== model.ownerId || pipeline.status !== 'succeeded') {
        return errAsync(constraint(`model ${model.id} has no succeeded pipeline of its owner`));
      }
      const expected = pipeline.trainingSet.items.map((i) => `${i.uploadId}:${i.sha256}`).join(',');
      const actual = model.trainingSet.map((i) => `${i.uploadId}:${i.sha256}`).join(',');
      if (model.trainingSet.length === 0 || expected !== actual) return errAsync(constraint(`model ${model.id} training set differs`));
      // I5: exactly the version and model id the pipeline recorded, at its destination.
      if (pipeline.modelVersion !== model.version || pipeline.modelId !== model.id || !sameDestination(pipeline.destination, model.destination)) {
        return errAsync(constraint(`model ${model.id} is not the model pipeline ${pipeline.id} produced`));
      }
      tables.models.set(model.id, model);
      return okAsync(model);
    },
    update: (model: Model) =>
      revise(tables.models, model, (stored) =>
        stored.ownerId !== model.ownerId ||
        stored.pipelineId !== model.pipelineId ||
        stored.version !== model.version ||
        !sameDestination(stored.destination, model.destination) ||
        JSON.stringify(stored.trainingSet) !== JSON.stringify(model.trainingSet)
          ? constraint('a model keeps its owner, pipeline, version and training set')
          : null,
      ).asyncAndThen((row) => okAsync(row)),
  };

  const webhookDeliveries: WebhookDeliveries = {
    seen: (deliveryId: string) => okAsync(tables.webhookDeliveries.has(deliveryId)),
    recordOnce: (deliveryId: string, receivedAt: Date) => {
      if (tables.webhookDeliveries.has(deliveryId)) return okAsync(false);
      tables.webhookDeliveries.set(deliveryId, receivedAt);
      return okAsync(true);
    },
    pruneReceivedBefore: (cutoff: Date) => {
      const old = [...tables.webhookDeliveries].filter(([, receivedAt]) => receivedAt < cutoff).map(([id]) => id);
      for (const id of old) tables.webhookDeliveries.delete(id);
      return okAsync(old.length);
    },
  };

  const due = (erasure: Erasure, now: Date) => erasure.state === 'pending' && (erasure.notBefore === null || erasure.notBefore <= now);
  const erasures: Erasures = {
    request: (erasure: Erasure) => {
      const ref = erasureRef(erasure.target);
      const stored = tables.erasures.get(ref);
      if (stored?.state === 'pending') return okAsync(stored);
      tables.erasures.set(ref, erasure);
      return okAsync(erasure);
    },
    claimDue: ({ now, until, limit }) => {
      const claimed = [...tables.erasures.values()]
        .filter((erasure) => due(erasure, now))
        .sort((a, b) => (a.notBefore?.getTime() ?? -Infinity) - (b.notBefore?.getTime() ?? -Infinity) || byId(erasureRef(a.target), erasureRef(b.target)))
        .slice(0, Math.max(0, Math.floor(limit)))
        .map((erasure) => ({ ...erasure, notBefore: until }));
      for (const erasure of claimed) tables.erasures.set(erasureRef(erasure.target), erasure);
      return okAsync(claimed);
    },
    settle: (erasure: Erasure) => {
      const ref = erasureRef(erasure.target);
      if (tables.erasures.get(ref)?.state === 'pending') tables.erasures.set(ref, erasure);
      return okAsync(undefined);
    },
    listByOwner: (ownerId: OwnerId) =>
      okAsync(
        [...tables.erasures.values()]
          .filter((erasure) => erasure.ownerId === ownerId)
          .sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime() || byId(erasureRef(a.target), erasureRef(b.target))),
      ),
  };

  const uploadSlots: UploadSlots = {
    record: ({ ownerId, uploadId, expiresAt }) => {
      tables.uploadSlots.set(uploadId, { ownerId, expiresAt });
      return okAsync(undefined);
    },
    listOpenExpiries: (ownerId: OwnerId, now: Date) =>
      okAsync(
        [...tables.uploadSlots.values()]
          .filter((slot) => slot.ownerId === ownerId && slot.expiresAt > now)
          .map((slot) => slot.expiresAt)
          .sort((a, b) => a.getTime() - b.getTime()),
      ),
    close: (ownerId: OwnerId, uploadId: UploadId) => {
      if (tables.uploadSlots.get(uploadId)?.ownerId === ownerId) tables.uploadSlots.delete(uploadId);
      return okAsync(undefined);
    },
    pruneExpiredBefore: (cutoff: Date) => {
      const expired = [...tables.uploadSlots].filter(([, slot]) => slot.expiresAt < cutoff).map(([id]) => id);
      for (const id of expired) tables.uploadSlots.delete(id);
      return okAsync(expired.length);
    },
  };

  const checkingTwin = (row: PendingUpload) =>
    [...tables.pendingUploads.values()].some(
      (other) => other.id !== row.id && other.ownerId === row.ownerId && other.status === 'checking' && other.sourceSha256 === row.sourceSha256,
    );
  const pendingUploads: PendingUploads = {
    get: (ownerId: OwnerId, id: UploadId) => {
      const row = tables.pendingUploads.get(id);
      return okAsync(row?.ownerId === ownerId ? row : null);
    },
    findCheckingBySourceSha256: (ownerId: OwnerId, sourceSha256: Sha256) =>
      okAsync([...tables.pendingUploads.values()].find((row) => row.ownerId === ownerId && row.status === 'checking' && row.sourceSha256 === sourceSha256) ?? null),
    listByOwner: (ownerId: OwnerId) =>
      okAsync(
        [...tables.pendingUploads.values()]
          .filter((row) => row.ownerId === ownerId)
          .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || byId(a.id, b.id)),
      ),
    checkingUsage: (ownerId: OwnerId, except: UploadId | null) =>
      okAsync(storedUsage([], [...tables.pendingUploads.values()].filter((row) => row.ownerId === ownerId && row.id !== except))),
    insert: (row: PendingUpload) => {
      // As the schema: the id is unique across both tables' rows of one upload, and one checking row per owner and bytes.
      if (tables.pendingUploads.has(row.id) || tables.uploads.has(row.id)) return errAsync(conflict(`upload ${row.id} exists`));
      if (row.status === 'checking' && checkingTwin(row)) return errAsync(conflict(`these bytes are already checking for ${row.ownerId}`));
      const inserted = { ...row, revision: 0 };
      tables.pendingUploads.set(row.id, inserted);
      return okAsync(inserted);
    },
    update: (row: PendingUpload) =>
      // As the Postgres statement, which only matches the row of the same owner and bytes.
      revise(tables.pendingUploads, row, (stored) =>
        stored.ownerId !== row.ownerId || stored.sourceSha256 !== row.sourceSha256 || stored.byteSize !== row.byteSize
          ? conflict(`pending upload ${row.id}: owner and bytes never change`)
          : null,
      ).asyncAndThen((updated) => okAsync(updated)),
    remove: (row: PendingUpload) => {
      const stored = tables.pendingUploads.get(row.id);
      if (!stored || stored.ownerId !== row.ownerId || stored.revision !== row.revision) return errAsync(conflict(`pending upload ${row.id} is gone or changed`));
      tables.pendingUploads.delete(row.id);
      return okAsync(undefined);
    },
    removeByOwner: (ownerId: OwnerId) => {
      const ids = [...tables.pendingUploads.values()].filter((row) => row.ownerId === ownerId).map((row) => row.id);
      for (const id of ids) tables.pendingUploads.delete(id);
      return okAsync(ids.length);
    },
    claimDue: ({ now, until, limit }) => {
      const claimed = [...tables.pendingUploads.values()]
        .filter((row) => row.status === 'checking' && (row.notBefore === null || row.notBefore <= now))
        .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || byId(a.id, b.id))
        .slice(0, Math.max(0, Math.floor(limit)))
        .map((row) => ({ ...row, notBefore: until, revision: row.revision + 1 }));
      for (const row of claimed) tables.pendingUploads.set(row.id, row);
      return okAsync(claimed);
    },
    pruneRefusedBefore: (cutoff: Date) => {
      const old = [...tables.pendingUploads.values()].filter((row) => row.status === 'refused' && row.settledAt !== null && row.settledAt < cutoff);
      for (const row of old) tables.pendingUploads.delete(row.id);
      return okAsync(old.length);
    },
  };

  return { owners, uploads, pendingUploads, pipelines, models, webhookDeliveries, erasures, uploadSlots };
}
