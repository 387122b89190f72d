import { ResultAsync } from 'neverthrow';
import type { Erasure } from '../domain/erasure.js';
import type { DomainError } from '../domain/errors.js';
import type { OwnerId } from '../domain/ids.js';
import type { Model } from '../domain/model.js';
import type { PendingUpload } from '../domain/pending-upload.js';
import type { TrainingPipeline } from '../domain/training-pipeline.js';
import type { Upload } from '../domain/upload.js';
import type { CoreDeps } from './core-deps.js';

/** Everything the database holds about one owner (the owner's right of access). */
export interface OwnerDataExport {
  readonly ownerId: OwnerId;
  readonly exportedAt: Date;
  /** Deleted ones too: their rows stay as provenance, so they are part of what is held. */
  readonly uploads: readonly Upload[];
  /** Photos received and still checking, or refused after the answer. */
  readonly pendingUploads: readonly PendingUpload[];
  readonly trainings: readonly TrainingPipeline[];
  /** Erased and quarantined ones too, with their training sets (provenance). */
  readonly models: readonly Model[];
  /** Erasures owed, done or refused. */
  readonly erasures: readonly Erasure[];
}

/**
 * Reads, in one transaction (one consistent snapshot), every row held about the owner. Reads only;
 * every read is scoped by the owner, so nobody else's data can appear.
 */
export function exportOwnerData(deps: CoreDeps, input: { readonly ownerId: OwnerId }): ResultAsync<OwnerDataExport, DomainError> {
  const { ownerId } = input;
  const exportedAt = deps.clock.now();
  return deps.uow.transaction((repos) =>
    ResultAsync.combine([
      repos.uploads.listByOwner(ownerId, { includeDeleted: true }),
      repos.pipelines.listByOwner(ownerId),
      repos.models.listByOwner(ownerId),
      repos.erasures.listByOwner(ownerId),
      repos.pendingUploads.listByOwner(ownerId),
    ]).map(([uploads, trainings, models, erasures, pendingUploads]) => ({ ownerId, exportedAt, uploads, pendingUploads, trainings, models, erasures })),
  );
}
