import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { domainError, type DomainError } from '../domain/errors.js';
import type { OwnerId, UploadId } from '../domain/ids.js';
import { isChecking, type PendingUpload } from '../domain/pending-upload.js';
import type { CoreDeps } from './core-deps.js';
import { deleteUpload, type DeletedUpload } from './delete-upload.js';

/** A stored photo deleted (as `deleteUpload`), or a refused one dismissed (it was never stored). */
export type RemovedUpload = ({ readonly kind: 'deleted' } & DeletedUpload) | { readonly kind: 'dismissed'; readonly pending: PendingUpload };

/**
 * The owner's delete of any photo they see: a stored one is deleted (`deleteUpload`); a refused
 * one is forgotten; one still being checked is refused with `upload.checking` (its check would
 * otherwise store it a moment later), to be deleted once judged.
 */
export function removeUpload(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly uploadId: UploadId },
): ResultAsync<RemovedUpload, DomainError> {
  return deps.uow
    .transaction((repos) =>
      repos.pendingUploads.get(input.ownerId, input.uploadId).andThen((pending) => {
        if (pending === null) return okAsync(null);
        if (isChecking(pending)) return errAsync(domainError('upload.checking', `upload ${pending.id} is checking`));
        return repos.pendingUploads.remove(pending).map((): RemovedUpload => ({ kind: 'dismissed', pending }));
      }),
    )
    .andThen((dismissed) => (dismissed ? okAsync(dismissed) : deleteUpload(deps, input).map((deleted): RemovedUpload => ({ kind: 'deleted', ...deleted }))));
}
