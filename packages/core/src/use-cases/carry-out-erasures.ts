import { err, errAsync, ok, okAsync, ResultAsync, type Result } from 'neverthrow';
import { sameDestination, type Destination } from '../domain/destination.js';
import {
  ERASURE_HOLD_MS,
  erasureDone,
  erasureRefused,
  erasureRetryLater,
  type Erasure,
  type ErasureTarget,
} from '../domain/erasure.js';
import { domainError, type DomainError } from '../domain/errors.js';
import type { OwnerId } from '../domain/ids.js';
import { isActive, needsCleanup } from '../domain/training-pipeline.js';
import type { PersistenceError } from '../ports/repositories.js';
import type { CoreDeps } from './core-deps.js';

/** Listing and deleting under a prefix goes round at most this often per try (a listing is one page). */
const MAX_PREFIX_ROUNDS = 20;

/** Runs `task` over `items` one after another, stopping at the first Err. */
function oneByOne<T, E>(items: readonly T[], task: (item: T) => ResultAsync<unknown, E>): ResultAsync<void, E> {
  const run = async (): Promise<Result<void, E>> => {
    for (const item of items) {
      const failed = await task(item).match(
        () => null,
        (error) => ({ error }),
      );
      if (failed !== null) return err(failed.error);
    }
    return ok(undefined);
  };
  return new ResultAsync(run());
}

/** Deletes every object under `prefix`, listing again until nothing is left (each listing is one page). */
function eraseUnder(deps: CoreDeps, prefix: string, round = 1): ResultAsync<void, DomainError> {
  return deps.objects.list(prefix).andThen((objects) => {
    if (objects.length === 0) return okAsync(undefined);
    if (round > MAX_PREFIX_ROUNDS) return errAsync(domainError('storage.unavailable', `objects keep appearing under ${prefix}`));
    return oneByOne(objects, (object) => deps.objects.delete(object.key)).andThen(() => eraseUnder(deps, prefix, round + 1));
  });
}

/**
 * The owner's own destination: waits until none of the owner's trainings there may still write a
 * version (a canceled one is stopped by its pipeline's clean-up), then deletes every version it
 * holds and the model itself. Under the per-owner strategy everything there is the owner's.
 */
function eraseDestination(deps: CoreDeps, ownerId: OwnerId, destination: Destination): ResultAsync<void, DomainError> {
  return deps.uow
    .transaction((repos) => repos.pipelines.listByOwner(ownerId))
    .andThen((pipelines) =>
      pipelines.some((p) => sameDestination(p.destination, destination) && (isActive(p) || needsCleanup(p)))
        ? errAsync(domainError('erasure.waiting', `a training at ${destination.owner}/${destination.name} is still being stopped`))
        : okAsync(undefined),
    )
    .andThen(() => deps.trainer.listVersions(destination))
    .andThen((versions) => oneByOne(versions, (version) => deps.trainer.deleteVersion(version.version)))
    .andThen(() => deps.trainer.deleteModel(destination));
}

function carryOut(deps: CoreDeps, ownerId: OwnerId, target: ErasureTarget): ResultAsync<void, DomainError> {
  switch (target.kind) {
    case 'object':
      return deps.objects.delete(target.key);
    case 'objects':
      return eraseUnder(deps, target.prefix);
    case 'trainer_version':
      return deps.trainer.deleteVersion(target.version);
    case 'trainer_model':
      return eraseDestination(deps, ownerId, target.destination);
  }
}

/**
 * One try at an erasure owed, and its outcome recorded: `done`; `refused` (the trainer will not
 * delete it: final, for an operator); or, for anything else, tried again later with backoff,
 * never given up. Answers the erasure as recorded; only a database failure is an Err (the
 * erasure then stays owed as it was, and the worker takes it once its hold passes).
 */
export function carryOutErasure(deps: CoreDeps, erasure: Erasure): ResultAsync<Erasure, PersistenceError> {
  return carryOut(deps, erasure.ownerId, erasure.target)
    .map(() => erasureDone(erasure, deps.clock.now()))
    .orElse((error) => {
      const now = deps.clock.now();
      const next =
        error.code === 'trainer.deletion_refused'
          ? erasureRefused(erasure, error, now)
          : erasureRetryLater(erasure, error, deps.config.retryPolicy, now);
      deps.log.record({
        kind: next.state === 'refused' ? 'erasure.refused' : 'erasure.retry',
        detail: { ownerId: erasure.ownerId, target: erasure.target, code: error.code, detail: error.detail, attempt: next.attempt, notBefore: next.notBefore },
      });
      return okAsync<Erasure, never>(next);
    })
    .andThen((next) => deps.uow.transaction((repos) => repos.erasures.settle(next)).map(() => next));
}

export interface ErasureRound {
  readonly done: number;
  readonly refused: number;
  /** Tried and failed: owed still, due again after their backoff. */
  readonly retried: number;
}

/**
 * The worker's part: takes up to `limit` erasures that are due (held for `ERASURE_HOLD_MS`, so
 * several workers never carry out the same one at once) and tries each once.
 */
export function carryOutDueErasures(deps: CoreDeps, options: { readonly limit: number }): ResultAsync<ErasureRound, PersistenceError> {
  const now = deps.clock.now();
  return deps.uow
    .transaction((repos) => repos.erasures.claimDue({ now, until: new Date(now.getTime() + ERASURE_HOLD_MS), limit: options.limit }))
    .andThen((due) => {
      const settled: Erasure[] = [];
      return oneByOne(due, (erasure) => carryOutErasure(deps, erasure).map((next) => settled.push(next))).map(() => ({
        done: settled.filter((e) => e.state === 'done').length,
        refused: settled.filter((e) => e.state === 'refused').length,
        retried: settled.filter((e) => e.state === 'pending').length,
      }));
    });
}
