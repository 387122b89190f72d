import { err, errAsync, ok, okAsync, type Result, type ResultAsync } from 'neverthrow';
import { destinationFor } from '../domain/destination.js';
import { domainError, type DomainError } from '../domain/errors.js';
import { trusted, type OwnerId, type PipelineId } from '../domain/ids.js';
import { checkTrainingQuota } from '../domain/quotas.js';
import { createPipeline, type TrainingPipeline } from '../domain/training-pipeline.js';
import { checkNoneChecking, checkOnePerson, selectTrainingPhotos } from '../domain/training-selection.js';
import { trainingSetFrom } from '../domain/training-set.js';
import type { Repositories } from '../ports/repositories.js';
import type { CoreDeps } from './core-deps.js';

export const DEFAULT_TRIGGER_WORD = 'TOK';
const TRIGGER_WORD = /^[A-Za-z0-9_-]{1,32}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

export type StartTrainingError = DomainError<
  | 'training.not_enough_photos'
  | 'training.already_active'
  | 'training.photos_checking'
  | 'training.photo_not_usable'
  | 'training.too_many_photos'
  | 'training.mixed_people'
  | 'training.invalid_trigger_word'
  | 'training.invalid_idempotency_key'
  | 'quota.trainings_per_day'
  | 'verify.foreign_upload'
  | 'verify.upload_missing'
  | 'persistence.conflict'
  | 'persistence.constraint'
  | 'persistence.corrupt'
  | 'persistence.unavailable'
>;

export interface StartedTraining {
  readonly pipeline: TrainingPipeline;
  /** False when an `Idempotency-Key` matched an earlier request: that training is returned. */
  readonly created: boolean;
}

export function parseTriggerWord(value: string | undefined): Result<string, DomainError<'training.invalid_trigger_word'>> {
  if (value === undefined) return ok(DEFAULT_TRIGGER_WORD);
  return TRIGGER_WORD.test(value) ? ok(value) : err(domainError('training.invalid_trigger_word', `"${value.slice(0, 40)}"`));
}

/** The owner's trainings of the last day, judged against the quota (starts and restarts both count). */
function withinTrainingQuota(deps: CoreDeps, repos: Repositories, ownerId: OwnerId): ResultAsync<void, StartTrainingError> {
  const quotas = deps.config.quotas;
  if (!quotas) return okAsync(undefined);
  return repos.pipelines
    .listByOwner(ownerId)
    .andThen((pipelines) => checkTrainingQuota(quotas, pipelines.map((p) => p.createdAt), deps.clock.now()));
}

/**
 * Creates a queued pipeline, if the owner has none active (I8), over the photos chosen
 * (`uploadIds`, default every stored photo), at most `maxTrainingPhotos`, all of one person.
 */
export function createOwnersPipeline(
  deps: CoreDeps,
  repos: Repositories,
  fields: {
    ownerId: OwnerId;
    triggerWord: string;
    idempotencyKey: string | null;
    restartOf: PipelineId | null;
    uploadIds?: readonly string[] | undefined;
  },
): ResultAsync<TrainingPipeline, StartTrainingError> {
  return repos.pipelines
    .findActive(fields.ownerId)
    .andThen((active) =>
      active ? errAsync(domainError('training.already_active', `pipeline ${active.id} is ${active.status}`)) : okAsync(undefined),
    )
    .andThen(() => withinTrainingQuota(deps, repos, fields.ownerId))
    .andThen(() => repos.pendingUploads.listByOwner(fields.ownerId))
    .andThen((pending) => checkNoneChecking(pending, fields.uploadIds))
    .andThen(() => repos.uploads.listStoredForTraining(fields.ownerId))
    .andThen((stored) =>
      selectTrainingPhotos(stored, fields.uploadIds, deps.config.maxTrainingPhotos)
        .andThen((chosen) => checkOnePerson(deps.config.photoChecks, chosen))
        .andThen((chosen) => trainingSetFrom(fields.ownerId, chosen, deps.config.minPhotos)),
    )
    .andThen((trainingSet) =>
      repos.pipelines.insert(
        createPipeline({
          id: trusted<PipelineId>(deps.ids.next()),
          trainingSet,
          destination: destinationFor(deps.config.destinationStrategy, fields.ownerId),
          triggerWord: fields.triggerWord,
          idempotencyKey: fields.idempotencyKey,
          restartOf: fields.restartOf,
          now: deps.clock.now(),
        }),
      ),
    );
}

/** A conflict on insert means another request created the owner's active pipeline first. */
export function activeConflict<T, E extends DomainError>(
  result: ResultAsync<T, E>,
): ResultAsync<T, E | DomainError<'training.already_active'>> {
  return result.mapErr((error) =>
    error.code === 'persistence.conflict' ? domainError('training.already_active', error.detail) : error,
  );
}

/**
 * A request with an `Idempotency-Key` that lost the race to create the owner's pipeline, either
 * at the unique index (`persistence.conflict`, read as already active) or because the winner
 * committed between our key lookup and our active check, may have lost to its own repeat: look
 * the key up again in a fresh transaction (the failed one is aborted; the winner has committed)
 * and answer that pipeline. A different key or no key stays refused as already active.
 */
function earlierWithSameKey(
  deps: CoreDeps,
  ownerId: OwnerId,
  key: string,
  lost: DomainError,
): ResultAsync<StartedTraining, StartTrainingError> {
  return deps.uow
    .transaction((repos) => repos.pipelines.findByIdempotencyKey(ownerId, key))
    .andThen((earlier) =>
      earlier ? okAsync({ pipeline: earlier, created: false }) : errAsync(domainError('training.already_active', lost.detail)),
    );
}

export function startTraining(
  deps: CoreDeps,
  input: {
    readonly ownerId: OwnerId;
    readonly triggerWord?: string;
    readonly idempotencyKey?: string;
    /** The photos to train on; default every stored photo. */
    readonly uploadIds?: readonly string[];
  },
): ResultAsync<StartedTraining, StartTrainingError> {
  const key = input.idempotencyKey ?? null;
  if (key !== null && !IDEMPOTENCY_KEY.test(key)) {
    return errAsync(domainError('training.invalid_idempotency_key'));
  }
  return parseTriggerWord(input.triggerWord).asyncAndThen((triggerWord) =>
    activeConflict(
      deps.uow.transaction((repos) =>
        (key === null ? okAsync(null) : repos.pipelines.findByIdempotencyKey(input.ownerId, key)).andThen((earlier) =>
          earlier
            ? okAsync({ pipeline: earlier, created: false })
            : createOwnersPipeline(deps, repos, {
                ownerId: input.ownerId,
                triggerWord,
                idempotencyKey: key,
                restartOf: null,
                uploadIds: input.uploadIds,
              }).map(
                (pipeline) => ({ pipeline, created: true }),
              ),
        ),
      ),
    ).orElse((error) =>
      key !== null && error.code === 'training.already_active' ? earlierWithSameKey(deps, input.ownerId, key, error) : errAsync(error),
    ),
  );
}
