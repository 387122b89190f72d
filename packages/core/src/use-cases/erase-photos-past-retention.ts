import { err, ok, ResultAsync, type Result } from 'neverthrow';
import { DAY_MS } from '../domain/durations.js';
import type { DomainError } from '../domain/errors.js';
import type { CoreDeps } from './core-deps.js';
import { deleteUpload } from './delete-upload.js';

export interface RetentionRound {
  /** Photos marked deleted this round (their bytes erased, or owed and carried out by the worker). */
  readonly deleted: number;
  /** Of those, how many had their bytes erased at once. */
  readonly erased: number;
}

/**
 * Photo retention (`PHOTO_RETENTION_DAYS_AFTER_TRAINING`): the photos of a training that
 * succeeded `days` or more ago are deleted exactly as the owner's delete does (row marked deleted
 * and the erasure of the bytes recorded together, reason `retention`). The models stay usable:
 * their provenance (upload ids and SHA-256s) stays in the rows. A photo that is also in an active
 * training waits until that training ends. Takes up to `limit` photos a round.
 */
export function erasePhotosPastRetention(
  deps: CoreDeps,
  options: { readonly days: number; readonly limit: number },
): ResultAsync<RetentionRound, DomainError> {
  const succeededBy = new Date(deps.clock.now().getTime() - options.days * DAY_MS);
  return deps.uow
    .transaction((repos) => repos.uploads.listPastRetention({ succeededBy, limit: options.limit }))
    .andThen((uploads) => {
      const run = async (): Promise<Result<RetentionRound, DomainError>> => {
        let erased = 0;
        for (const upload of uploads) {
          const failed = await deleteUpload(deps, { ownerId: upload.ownerId, uploadId: upload.id, reason: 'retention' }).match(
            (deleted) => {
              if (deleted.erasure.state === 'done') erased += 1;
              return null;
            },
            (error) => ({ error }),
          );
          if (failed !== null) return err(failed.error);
        }
        return ok({ deleted: uploads.length, erased });
      };
      return new ResultAsync(run());
    });
}
