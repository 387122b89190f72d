import { err, ok, okAsync, ResultAsync, type Result } from 'neverthrow';
import { destinationFor } from '../domain/destination.js';
import { ERASURE_HOLD_MS, ownerObjectPrefixes, requestErasure, type Erasure, type ErasureTarget } from '../domain/erasure.js';
import type { DomainError } from '../domain/errors.js';
import type { OwnerId } from '../domain/ids.js';
import { markErased } from '../domain/model.js';
import { cancelPipeline, isActive, isScrubbed, scrubbedForErasure, type FailedOrCanceledPipeline } from '../domain/training-pipeline.js';
import { markDeleted } from '../domain/upload.js';
import { tryCleanUpNow } from './clean-up-ended.js';
import { carryOutErasure } from './carry-out-erasures.js';
import type { CoreDeps } from './core-deps.js';
import { retryOnConflict } from './retry-on-conflict.js';

const ERASE_RETRIES = 5;

export interface OwnerErasure {
  readonly ownerId: OwnerId;
  /** The training that was running, canceled (and stopped at the trainer by its clean-up). */
  readonly canceled: FailedOrCanceledPipeline | null;
  readonly uploadsDeleted: number;
  readonly modelsErased: number;
  /** Every erasure owed for this owner, as it stands after one try each: done, refused, or pending (retried by the worker). */
  readonly erasures: readonly Erasure[];
}

/**
 * Erases everything the service holds of an owner but what the audit needs (ids, hashes,
 * timestamps): in one transaction it cancels the active training, scrubs every training's trigger
 * word and idempotency key, marks every upload deleted,
 * marks every model `erased` (never served again) and records the erasures owed: every object
 * under the owner's prefixes (photos, staged uploads, training ZIPs), and at the trainer the
 * owner's own destination model with all its versions (per-owner) or each version the owner's
 * trainings produced (shared). Then it tries each erasure once; what fails stays owed and the
 * worker carries it out later. Repeating it repeats what is not done.
 */
export function eraseOwner(deps: CoreDeps, input: { readonly ownerId: OwnerId }): ResultAsync<OwnerErasure, DomainError> {
  const { ownerId } = input;
  const now = deps.clock.now();
  const owe = (target: ErasureTarget) => requestErasure({ ownerId, target, reason: 'owner_erased', now, holdMs: ERASURE_HOLD_MS });
  return retryOnConflict(ERASE_RETRIES, () =>
    deps.uow.transaction((repos) =>
      ResultAsync.combine([repos.uploads.listByOwner(ownerId), repos.pipelines.listByOwner(ownerId), repos.models.listByOwner(ownerId)]).andThen(
        ([uploads, pipelines, models]) => {
          const active = pipelines.find(isActive) ?? null;
          const trainerTargets: ErasureTarget[] =
            deps.config.destinationStrategy.kind === 'per-owner'
              ? [{ kind: 'trainer_model', destination: destinationFor(deps.config.destinationStrategy, ownerId) }]
              : pipelines.flatMap((p): ErasureTarget[] => (p.status === 'succeeded' ? [{ kind: 'trainer_version', version: p.modelVersion }] : []));
          const targets: ErasureTarget[] = [...ownerObjectPrefixes(ownerId).map((prefix): ErasureTarget => ({ kind: 'objects', prefix })), ...trainerTargets];
          // Every pipeline loses what the owner wrote (trigger word, idempotency key); the active one is canceled in the same write.
          const writes = sequence([
            ...pipelines
              .filter((p) => isActive(p) || !isScrubbed(p))
              .map((p) => () =>
                repos.pipelines.update(scrubbedForErasure(isActive(p) ? cancelPipeline(p, 'training.canceled_by_owner', now) : p)).map(() => undefined),
              ),
            ...uploads.map((upload) => () => repos.uploads.update(markDeleted(upload, now)).map(() => undefined)),
            // Photos received and not yet judged (or refused) hold no more than ids and hashes; their bytes are staged objects.
            () => repos.pendingUploads.removeByOwner(ownerId).map(() => undefined),
            ...models.filter((m) => m.status !== 'erased').map((model) => () => repos.models.update(markErased(model)).map(() => undefined)),
          ]);
          return writes
            .andThen(() => sequenceValues(targets.map((target) => () => repos.erasures.request(owe(target)))))
            .andThen((erasures) =>
              (active ? repos.pipelines.get(ownerId, active.id) : okAsync(null)).map((canceled) => ({
                canceled: canceled && !isActive(canceled) ? (canceled as FailedOrCanceledPipeline) : null,
                uploadsDeleted: uploads.length,
                modelsErased: models.filter((m) => m.status !== 'erased').length,
                erasures,
              })),
            );
        },
      ),
    ),
  ).andThen((recorded) =>
    (recorded.canceled ? tryCleanUpNow(deps, recorded.canceled).map(() => undefined) : okAsync<void, never>(undefined))
      // The trainer-side erasures wait for the canceled training's clean-up, so objects go first.
      .andThen(() =>
        sequenceValues(
          recorded.erasures.map((erasure) => () => carryOutErasure(deps, erasure).orElse(() => okAsync<Erasure, never>(erasure))),
        ),
      )
      .map((erasures): OwnerErasure => ({ ownerId, ...recorded, erasures })),
  );
}

function sequence<E>(tasks: readonly (() => ResultAsync<void, E>)[]): ResultAsync<void, E> {
  return sequenceValues(tasks).map(() => undefined);
}

/** Runs the tasks one after another (one transaction's connection), stopping at the first Err. */
function sequenceValues<T, E>(tasks: readonly (() => ResultAsync<T, E>)[]): ResultAsync<T[], E> {
  const run = async (): Promise<Result<T[], E>> => {
    const values: T[] = [];
    for (const task of tasks) {
      const failed = await task().match(
        (value) => {
          values.push(value);
          return null;
        },
        (error) => ({ error }),
      );
      if (failed !== null) return err(failed.error);
    }
    return ok(values);
  };
  return new ResultAsync(run());
}
