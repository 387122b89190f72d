import { err, errAsync, ok, okAsync, ResultAsync, type Result } from 'neverthrow';
import {
  accountedTrainings,
  batchFindings,
  destinationsOfBatch,
  inReportOrder,
  ownerRefOfKey,
  ownersByDestination,
  recordedVersions,
  relatedIdsOf,
  remainingDestinations,
  strayObjectFindings,
  trainingFindings,
  trainingsOfVersions,
  unsettledVersions,
  versionFindings,
  type AuditedObject,
  type AuditedTraining,
  type AuditedVersion,
  type AuditPolicy,
  type AuditSnapshot,
  type OwnerBatch,
  type RelatedRows,
  type UnsettledVersion,
} from '../domain/audit-findings.js';
import { implicatedModel, type AuditViolation } from '../domain/audit-violation.js';
import { destinationFor, destinationRef, sameDestination, type Destination } from '../domain/destination.js';
import { ownerObjectPrefixes } from '../domain/erasure.js';
import type { ModelId, OwnerId } from '../domain/ids.js';
import type { Model } from '../domain/model.js';
import { ownerRef } from '../domain/owner-ref.js';
import type { TrainingPipeline } from '../domain/training-pipeline.js';
import type { Upload } from '../domain/upload.js';
import type { ListedPage, StoreError } from '../ports/object-store.js';
import type { PersistenceError, Repositories } from '../ports/repositories.js';
import type { TrainerError } from '../ports/trainer.js';
import type { CoreDeps } from './core-deps.js';
import { inBatches } from './in-batches.js';
import { quarantineModel, type QuarantineError } from './quarantine-model.js';

export interface AuditReport {
  readonly checkedAt: Date;
  /** How much was looked at, so an empty report over nothing is visible as such. */
  readonly scanned: {
    readonly owners: number;
    readonly uploads: number;
    readonly pipelines: number;
    readonly models: number;
    readonly objects: number;
    readonly trainings: number;
    readonly destinations: number;
    readonly versions: number;
  };
  /** Checks that could not run, and why. */
  readonly skipped: readonly string[];
  readonly violations: readonly AuditViolation[];
  /** Models this run put in quarantine (empty unless asked to quarantine). */
  readonly quarantined: readonly ModelId[];
  /** Models it was asked to quarantine and could not; the others are quarantined all the same. */
  readonly quarantineFailed: readonly QuarantineFailure[];
}

export interface QuarantineFailure {
  readonly modelId: ModelId;
  readonly code: QuarantineError['code'];
  readonly message: string;
}

/** A source that cannot be read completely fails the audit: a partial report would read as clean. */
export type AuditError = StoreError | TrainerError | PersistenceError;

type Table = AuditSnapshot['unreadable'][number]['table'];

/** Owners read, judged and let go at a time, unless the caller says otherwise. */
export const AUDIT_OWNERS_PER_BATCH = 200;
/** Storage listings and trainer version listings in flight at once. */
const LISTINGS_AT_ONCE = 8;
/** Keys per page of the walk over the whole bucket (S3 answers at most 1000). */
const BUCKET_PAGE = 1000;

interface Rows {
  readonly uploads: readonly Upload[];
  readonly pipelines: readonly TrainingPipeline[];
  readonly models: readonly Model[];
  readonly unreadable: AuditSnapshot['unreadable'];
}

/**
 * One owner's rows of one table. `persistence.corrupt` means a stored row no longer parses
 * (edited out of band): that is a finding about this owner, not a reason to stop.
 */
function ownerTable<T>(ownerId: OwnerId, table: Table, read: ResultAsync<readonly T[], PersistenceError>) {
  return read
    .map((rows) => ({ rows, unreadable: [] as AuditSnapshot['unreadable'] }))
    .orElse((error) =>
      error.code === 'persistence.corrupt'
        ? okAsync({ rows: [] as readonly T[], unreadable: [{ ownerId, table, detail: error.detail ?? error.message }] })
        : errAsync(error),
    );
}

function readRows(repos: Repositories, owners: readonly OwnerId[]): ResultAsync<Rows, PersistenceError> {
  // One owner at a time, one table after the other: queries share the transaction's connection.
  // Each statement may see later commits (read committed), so rows are read in the reverse of
  // the order they are written: a model seen means its pipeline is read as succeeded, and a
  // pipeline seen means its photos are read too. Never a fresh model beside a stale pipeline.
  return inBatches(owners, 1, (ownerId) =>
    ownerTable(ownerId, 'models', repos.models.listByOwner(ownerId)).andThen((models) =>
      ownerTable(ownerId, 'pipelines', repos.pipelines.listByOwner(ownerId)).andThen((pipelines) =>
        ownerTable(ownerId, 'uploads', repos.uploads.listByOwner(ownerId, { includeDeleted: true })).map(
          (uploads) => [uploads, pipelines, models] as const,
        ),
      ),
    ),
  ).map((perOwner) => ({
    uploads: perOwner.flatMap(([uploads]) => uploads.rows),
    pipelines: perOwner.flatMap(([, pipelines]) => pipelines.rows),
    models: perOwner.flatMap(([, , models]) => models.rows),
    unreadable: perOwner.flatMap((tables) => tables.flatMap((table) => table.unreadable)),
  }));
}

const present = <T>(rows: readonly (T | null)[]): T[] => rows.filter((row): row is T => row !== null);

/**
 * A row looked up by id for a judgement about another one. One that no longer parses counts as
 * missing, as its owner's whole table does when that owner is read (`row.unreadable` there).
 */
function lookedUp<T>(read: ResultAsync<T | null, PersistenceError>): ResultAsync<T | null, PersistenceError> {
  return read.orElse((error) => (error.code === 'persistence.corrupt' ? okAsync(null) : errAsync(error)));
}

/** Other owners' rows this batch's rows point at (`relatedIdsOf`), by id. */
function readRelated(repos: Repositories, ids: ReturnType<typeof relatedIdsOf>): ResultAsync<RelatedRows, PersistenceError> {
  return inBatches(ids.pipelineIds, 1, (id) => lookedUp(repos.pipelines.getById(id))).andThen((pipelines) =>
    inBatches(ids.uploadIds, 1, (id) => lookedUp(repos.uploads.getById(id))).andThen((uploads) =>
      inBatches(ids.modelsOfPipelines, 1, (id) => lookedUp(repos.models.findByPipeline(id))).map(
        (models): RelatedRows => ({ pipelines: present(pipelines), uploads: present(uploads), models: present(models) }),
      ),
    ),
  );
}

function listVersions(deps: CoreDeps, destinations: readonly Destination[]): ResultAsync<AuditedVersion[], TrainerError> {
  return inBatches(destinations, LISTINGS_AT_ONCE, (destination) =>
    deps.trainer
      .listVersions(destination)
      .map((versions) => versions.map((v): AuditedVersion => ({ destination, version: v.version, createdAt: v.createdAt }))),
  ).map((versions) => versions.flat());
}

/**
 * What the audit carries from batch to batch: what the remainder needs to judge what belongs to
 * no batch, and nothing of an owner's rows. Per owner it keeps one owner reference (`knownRefs`,
 * 32 characters); the rest grows with trainings, violations and rows that break the rules.
 */
class Carried {
  readonly knownRefs = new Set<string>();
  /** Destinations listed that are not a batch owner's own (shared strategy), so none is listed twice. */
  readonly listedDestinations = new Set<string>();
  /** Destinations for the remainder: named by a pipeline, but the own destination of no owner read yet. */
  readonly later = new Map<string, Destination>();
  /** Versions recorded by pipelines at another destination than their owner's own: what the remainder's versions are checked against. */
  readonly recordedElsewhere = new Set<string>();
  readonly unsettled: UnsettledVersion[] = [];
  readonly violations: AuditViolation[] = [];
  /** Owners of the destinations our trainings name, as batches meet them (for `training.unknown`). */
  readonly ownerOfTrainingDestination = new Map<string, OwnerId>();
  readonly scanned = { owners: 0, uploads: 0, pipelines: 0, models: 0, objects: 0, trainings: 0, destinations: 0, versions: 0 };

  constructor(
    /** Our trainings no pipeline read so far accounts for; shrinks as batches account for them. */
    public unaccounted: readonly AuditedTraining[],
  ) {}
}

type Batch = Omit<OwnerBatch, 'related'>;

/**
 * The next batch of owners after `after`, audited: their objects (storage first), their rows, their
 * destinations' versions; judged, then let go. The owners it read, none when there are no more.
 * One transaction reads the page of owners and their rows (storage is listed between the two).
 */
function auditBatch(deps: CoreDeps, policy: AuditPolicy, after: OwnerId | null, perBatch: number, carried: Carried): ResultAsync<readonly OwnerId[], AuditError> {
  const now = deps.clock.now();
  const strategy = deps.config.destinationStrategy;
  return deps.uow
    .transaction((repos) =>
      repos.owners.listKnownAfter(after, perBatch).andThen((owners) =>
        // Storage first, then rows: a photo stored meanwhile then has its row, not a missing object.
        inBatches(owners.flatMap(ownerObjectPrefixes), LISTINGS_AT_ONCE, (prefix) => deps.objects.list(prefix)).andThen((listed) =>
          readRows(repos, owners).andThen((rows) => {
            const batch: Batch = { now, strategy, owners, objects: listed.flat(), ...rows };
            // A batch owner's row is in the batch, or its table was unreadable: never looked up around that.
            const others = <T extends { readonly ownerId: OwnerId }>(rows: readonly T[]) => rows.filter((row) => !owners.includes(row.ownerId));
            return readRelated(repos, relatedIdsOf(batch)).map(
              (related): OwnerBatch => ({
                ...batch,
                related: { pipelines: others(related.pipelines), uploads: others(related.uploads), models: others(related.models) },
              }),
            );
          }),
        ),
      ),
    )
    .andThen((batch) => {
      const { owners } = batch;
      const listed = { ownerRefs: carried.knownRefs, destinations: carried.listedDestinations };
      const destinations = destinationsOfBatch(strategy, owners, batch.pipelines, listed);
      return listVersions(deps, destinations.now).map((versions) => {
        carried.violations.push(...batchFindings(batch, policy));
        const byDestination = ownersByDestination(strategy, owners);
        carried.unsettled.push(
          ...unsettledVersions(versions, new Set(recordedVersions(batch.pipelines)), now, policy, (destination) => byDestination.get(destination) ?? null),
        );
        for (const pipeline of batch.pipelines) {
          const own = strategy.kind === 'per-owner' && sameDestination(pipeline.destination, destinationFor(strategy, pipeline.ownerId));
          if (!own) recordedVersions([pipeline]).forEach((version) => carried.recordedElsewhere.add(version));
        }
        const accounted = new Set(accountedTrainings(batch.pipelines, carried.unaccounted));
        carried.unaccounted = carried.unaccounted.filter((training) => !accounted.has(training.trainerTrainingId));
        for (const [destination, owner] of byDestination) {
          if (carried.unaccounted.some((training) => training.destination !== null && destinationRef(training.destination) === destination)) {
            carried.ownerOfTrainingDestination.set(destination, owner);
          }
        }
        owners.forEach((owner) => carried.knownRefs.add(ownerRef(owner)));
        if (strategy.kind === 'shared') destinations.now.forEach((destination) => carried.listedDestinations.add(destinationRef(destination)));
        destinations.later.forEach((destination) => carried.later.set(destinationRef(destination), destination));
        const { scanned } = carried;
        scanned.owners += owners.length;
        scanned.uploads += batch.uploads.length;
        scanned.pipelines += batch.pipelines.length;
        scanned.models += batch.models.length;
        scanned.objects += batch.objects.length;
        scanned.destinations += destinations.now.length;
        scanned.versions += versions.length;
        return owners;
      });
    });
}

type Step<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: AuditError };

// A step of a loop, awaited as `.match(done, failed)`: an error ends the audit.
const done = <T>(value: T): Step<T> => ({ ok: true, value });
const failed = <T = never>(error: AuditError): Step<T> => ({ ok: false, error });

/** Every owner, a page at a time, each page audited before the next is read. */
async function auditOwners(deps: CoreDeps, policy: AuditPolicy, perBatch: number, carried: Carried): Promise<Step<void>> {
  let after: OwnerId | null = null;
  for (;;) {
    const owners: Step<readonly OwnerId[]> = await auditBatch(deps, policy, after, perBatch, carried).match(done, failed<never>);
    if (!owners.ok) return failed(owners.error);
    const last: OwnerId | undefined = owners.value[owners.value.length - 1];
    if (owners.value.length < perBatch || last === undefined) return done(undefined);
    after = last;
  }
}

/**
 * The whole bucket, a page at a time, for objects under no known owner's prefixes: those the
 * batches did not list. Their owner, when a key names a known owner outside its prefixes, is
 * found by reading owner ids once more (rare: such keys are not ours to write).
 */
async function auditStrayObjects(deps: CoreDeps, policy: AuditPolicy, carried: Carried): Promise<Step<void>> {
  const now = deps.clock.now();
  const strays: AuditedObject[] = [];
  let startAfter: string | null = null;
  for (;;) {
    const from: string | null = startAfter;
    const page: Step<ListedPage> = await deps.objects.listPage('', from, BUCKET_PAGE).match(done, failed<never>);
    if (!page.ok) return failed(page.error);
    for (const object of page.value.objects) {
      const ref = ownerRefOfKey(object.key);
      if (ref !== null && carried.knownRefs.has(ref)) continue;
      carried.scanned.objects += 1;
      // Only settled strays can be findings; young ones are not judged and need not be kept.
      if (now.getTime() - object.lastModified.getTime() > policy.graceMs) strays.push(object);
    }
    const last: AuditedObject | undefined = page.value.objects[page.value.objects.length - 1];
    if (!page.value.more || last === undefined) break;
    startAfter = last.key;
  }
  const wanted = new Set(strays.map((object) => object.key.split('/')[1] ?? '').filter((ref) => carried.knownRefs.has(ref)));
  const owners = await ownersOfRefs(deps, wanted).match(done, failed<never>);
  if (!owners.ok) return failed(owners.error);
  carried.violations.push(...strayObjectFindings(strays, now, policy, (ref) => owners.value.get(ref) ?? null));
  return done(undefined);
}

function ownersOfRefs(deps: CoreDeps, refs: ReadonlySet<string>): ResultAsync<Map<string, OwnerId>, AuditError> {
  const found = new Map<string, OwnerId>();
  if (refs.size === 0) return okAsync(found);
  const run = async (): Promise<Result<Map<string, OwnerId>, AuditError>> => {
    let after: OwnerId | null = null;
    while (found.size < refs.size) {
      const cursor: OwnerId | null = after;
      const page: Step<readonly OwnerId[]> = await deps.uow
        .transaction((repos) => repos.owners.listKnownAfter(cursor, AUDIT_OWNERS_PER_BATCH))
        .match(done, failed<never>);
      if (!page.ok) return err(page.error);
      for (const owner of page.value) if (refs.has(ownerRef(owner))) found.set(ownerRef(owner), owner);
      if (page.value.length < AUDIT_OWNERS_PER_BATCH) break;
      after = page.value[page.value.length - 1] ?? null;
    }
    return ok(found);
  };
  return new ResultAsync(run());
}

/** What belongs to no batch: versions at destinations no owner's batch listed, and the pipelines the unsettled versions' trainings name. */
function auditRemainder(deps: CoreDeps, policy: AuditPolicy, trainings: readonly AuditedTraining[], carried: Carried): ResultAsync<void, AuditError> {
  const now = deps.clock.now();
  const strategy = deps.config.destinationStrategy;
  const remaining = remainingDestinations(strategy, [...carried.later.values()], trainings, {
    ownerRefs: carried.knownRefs,
    destinations: carried.listedDestinations,
  });
  return listVersions(deps, remaining)
    .andThen((versions) => {
      carried.scanned.destinations += remaining.length;
      carried.scanned.versions += versions.length;
      // Per owner these destinations are nobody's we know; shared, every destination is nobody's.
      carried.unsettled.push(...unsettledVersions(versions, carried.recordedElsewhere, now, policy, () => null));
      const named = trainingsOfVersions(carried.unsettled, trainings);
      if (named.length === 0) return okAsync([]);
      return deps.uow.transaction((repos) =>
        inBatches(named, 1, (training) =>
          lookedUp(repos.pipelines.findByTrainerTrainingId(training.trainerTrainingId)).andThen((recorded) =>
            (training.pipelineId === null ? okAsync(null) : lookedUp(repos.pipelines.getById(training.pipelineId))).map((byName) => [recorded, byName]),
          ),
        ).map((found) => present(found.flat())),
      );
    })
    .map((pipelines) => {
      carried.violations.push(...versionFindings(carried.unsettled, carried.recordedElsewhere, trainings, pipelines));
      const unaccounted = new Set(carried.unaccounted.map((training) => training.trainerTrainingId));
      const accounted = new Set(trainings.map((training) => training.trainerTrainingId).filter((id) => !unaccounted.has(id)));
      carried.violations.push(
        ...trainingFindings(trainings, accounted, now, policy, (destination) => carried.ownerOfTrainingDestination.get(destination) ?? null),
      );
    });
}

/**
 * Reconciles the database with object storage and with the trainer and reports every
 * violation (audit-violation.ts). Reads only, unless `quarantine` is set: then every model a
 * violation implicates is quarantined. Nothing is ever deleted.
 *
 * Owners are read `ownersPerBatch` at a time (their objects, rows and destinations' versions),
 * judged, and let go, so memory does not grow with the number of owners; what belongs to no
 * owner (objects under unknown prefixes, versions at destinations of nobody we know, trainings
 * nobody accounts for) is judged after the last batch. The trainer's training list is read whole
 * first: the trainer port has no page of it to resume from (decision in the report of issue 16).
 */
export function auditIntegrity(
  deps: CoreDeps,
  input: { readonly policy: AuditPolicy; readonly quarantine: boolean; readonly ownersPerBatch?: number },
): ResultAsync<AuditReport, AuditError> {
  const now = deps.clock.now();
  const { policy } = input;
  const perBatch = Math.max(1, Math.floor(input.ownersPerBatch ?? AUDIT_OWNERS_PER_BATCH));
  // Trainings first: a training accepted while the rows are read is then either recorded in them or young.
  return deps.trainer
    .listTrainings()
    .andThen((trainings) => {
      const ours = policy.webhookUrl === null ? [] : trainings.filter((training) => training.webhook === policy.webhookUrl);
      const carried = new Carried(ours);
      carried.scanned.trainings = trainings.length;
      const run = async (): Promise<Result<Carried, AuditError>> => {
        const owners = await auditOwners(deps, policy, perBatch, carried);
        if (!owners.ok) return err(owners.error);
        const objects = await auditStrayObjects(deps, policy, carried);
        if (!objects.ok) return err(objects.error);
        const rest = await auditRemainder(deps, policy, trainings, carried).match(done, failed<never>);
        return rest.ok ? ok(carried) : err(rest.error);
      };
      return new ResultAsync(run());
    })
    .andThen((carried) => {
      const violations = inReportOrder(carried.violations);
      const report = {
        checkedAt: now,
        scanned: { ...carried.scanned },
        skipped: policy.webhookUrl === null ? ['training.unknown: no webhook URL configured, so trainings cannot be matched to us'] : [],
        violations,
      };
      const outcome = input.quarantine ? quarantineImplicated(deps, violations) : okAsync({ quarantined: [], quarantineFailed: [] });
      return outcome.map((quarantine) => ({ ...report, ...quarantine }));
    });
}

type QuarantineOutcome = Pick<AuditReport, 'quarantined' | 'quarantineFailed'>;

/**
 * Quarantines every active model a violation implicates, one at a time. One model that cannot
 * be quarantined is reported and does not stop the others from being hidden.
 */
function quarantineImplicated(deps: CoreDeps, violations: readonly AuditViolation[]): ResultAsync<QuarantineOutcome, never> {
  const kindsByModel = new Map<ModelId, Set<string>>();
  for (const violation of violations) {
    const modelId = implicatedModel(violation);
    if (modelId !== null) kindsByModel.set(modelId, (kindsByModel.get(modelId) ?? new Set()).add(violation.kind));
  }
  type One = { readonly quarantined: ModelId | null; readonly failed: QuarantineFailure | null };
  return inBatches([...kindsByModel.entries()], 1, ([modelId, kinds]): ResultAsync<One, never> =>
    deps.uow
      .transaction((repos) => repos.models.getById(modelId))
      .andThen((model): ResultAsync<ModelId | null, QuarantineError> =>
        model === null || model.status === 'quarantined'
          ? okAsync(null)
          : quarantineModel(deps, { modelId, reason: `audit: ${[...kinds].sort().join(', ')}` }).map((changed) => changed.id),
      )
      .map((quarantined): One => ({ quarantined, failed: null }))
      .orElse((error) => okAsync({ quarantined: null, failed: { modelId, code: error.code, message: error.message } })),
  ).map((results) => ({
    quarantined: results.flatMap((r) => (r.quarantined === null ? [] : [r.quarantined])),
    quarantineFailed: results.flatMap((r) => (r.failed === null ? [] : [r.failed])),
  }));
}
