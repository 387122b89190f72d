import type { ResultAsync } from 'neverthrow';
import { trusted, type OwnerId, type UploadId } from '../domain/ids.js';
import { stagingKey, UPLOAD_SLOT_TTL_SECONDS } from '../domain/upload.js';
import type { StoreError } from '../ports/object-store.js';
import type { CoreDeps } from './core-deps.js';

export interface UploadSlot {
  readonly uploadId: UploadId;
  /** Time-limited signed URL of the owner's staging key for this id. */
  readonly url: string;
  readonly method: 'PUT';
  readonly expiresAt: Date;
  readonly maxBytes: number;
}

/**
 * The direct way in, first half: a new upload id and a signed PUT URL for its owner-scoped
 * staging key. Nothing is recorded: the upload exists only once `completeUpload` has judged it.
 */
export function createUploadSlot(deps: CoreDeps, input: { readonly ownerId: OwnerId }): ResultAsync<UploadSlot, StoreError> {
  const uploadId = trusted<UploadId>(deps.ids.next());
  const { maxBytes } = deps.config.uploadPolicy;
  const expiresAt = new Date(deps.clock.now().getTime() + UPLOAD_SLOT_TTL_SECONDS * 1000);
  return deps.objects
    .signedPutUrl(stagingKey(input.ownerId, uploadId), UPLOAD_SLOT_TTL_SECONDS, { maxBytes })
    .map((url) => ({ uploadId, url, method: 'PUT' as const, expiresAt, maxBytes }));
}
