import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import { destinationsToAudit, findViolations, type AuditPolicy, type AuditSnapshot, type AuditedVersion } from '../domain/audit-findings.js';
import { implicatedModel, type AuditViolation } from '../domain/audit-violation.js';
import type { ModelId, OwnerId } from '../domain/ids.js';
import type { Model } from '../domain/model.js';
import type { TrainingPipeline } from '../domain/training-pipeline.js';
import type { Upload } from '../domain/upload.js';
import type { StoreError } from '../ports/object-store.js';
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

interface Rows {
  readonly owners: readonly OwnerId[];
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

function readRows(repos: Repositories): ResultAsync<Rows, PersistenceError> {
  return repos.owners.listKnown().andThen((owners) =>
    // One owner at a time, one table after the other: queries share the transaction's connection.
    // Each statement may see later commits (read committed), so rows are read in the reverse of
    // the order they are written: a model seen means its pipeline is read as succeeded, and a
    // pipeline seen means its photos are read too. Never a fresh model beside a stale pipeline.
    inBatches(owners, 1, (ownerId) =>
      ownerTable(ownerId, 'models', repos.models.listByOwner(ownerId)).andThen((models) =>
        ownerTable(ownerId, 'pipelines', repos.pipelines.listByOwner(ownerId)).andThen((pipelines) =>
          ownerTable(ownerId, 'uploads', repos.uploads.listByOwner(ownerId, { includeDeleted: true })).map(
            (uploads) => [uploads, pipelines, models] as const,
          ),
        ),
      ),
    ).map((perOwner) => ({
      owners,
      uploads: perOwner.flatMap(([uploads]) => uploads.rows),
      pipelines: perOwner.flatMap(([, pipelines]) => pipelines.rows),
      models: perOwner.flatMap(([, , models]) => models.rows),
      unreadable: perOwner.flatMap((tables) => tables.flatMap((table) => table.unreadable)),
    })),
  );
}

/**
 * Reconciles the database with object storage and with the trainer and reports every
 * violation (audit-violation.ts). Reads only, unless `quarantine` is set: then every model a
 * violation implicates is quarantined. Nothing is ever deleted.
 */
export function auditIntegrity(
  deps: CoreDeps,
  input: { readonly policy: AuditPolicy; readonly quarantine: boolean },
): ResultAsync<AuditReport, AuditError> {
  const now = deps.clock.now();
  const strategy = deps.config.destinationStrategy;
  // Storage first, then rows: a photo stored meanwhile then has its row, not a missing object.
  return deps.objects
    .list('')
    .andThen((objects) => deps.uow.transaction(readRows).map((rows) => ({ objects, rows })))
    .andThen(({ objects, rows }) =>
      deps.trainer.listTrainings().andThen((trainings) => {
        const destinations = destinationsToAudit(strategy, rows.owners, rows.pipelines, trainings);
        return inBatches(destinations, 4, (destination) =>
          deps.trainer
            .listVersions(destination)
            .map((versions) => versions.map((v): AuditedVersion => ({ destination, version: v.version, createdAt: v.createdAt }))),
        ).map((versions): { snapshot: AuditSnapshot; destinations: number } => ({
          snapshot: { now, strategy, ...rows, objects, trainings, versions: versions.flat() },
          destinations: destinations.length,
        }));
      }),
    )
    .andThen(({ snapshot, destinations }) => {
      const violations = findViolations(snapshot, input.policy);
      const report = {
        checkedAt: now,
        scanned: {
          owners: snapshot.owners.length,
          uploads: snapshot.uploads.length,
          pipelines: snapshot.pipelines.length,
          models: snapshot.models.length,
          objects: snapshot.objects.length,
          trainings: snapshot.trainings.length,
          destinations,
          versions: snapshot.versions.length,
        },
        skipped: input.policy.webhookUrl === null ? ['training.unknown: no webhook URL configured, so trainings cannot be matched to us'] : [],
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
