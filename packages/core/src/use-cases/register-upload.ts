import { okAsync, type ResultAsync } from 'neverthrow';
import { trusted, type OwnerId, type UploadId } from '../domain/ids.js';
import type { ByteStream } from '../ports/object-store.js';
import type { CoreDeps } from './core-deps.js';
import { findDuplicate, judgePhoto, keepPhoto, readSource, type RegisteredUpload, type RegisterUploadError } from './photo-intake.js';

export { withinStorageQuota, type RegisteredUpload, type RegisterUploadError } from './photo-intake.js';

/**
 * Reads the bytes the person sent (size limit enforced while reading), returns the owner's
 * existing upload of the same bytes, else judges the photo and keeps it. Refused or duplicate
 * photos leave nothing under the final key. The way in when checks run before the answer.
 */
export function storeUpload(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly uploadId: UploadId; readonly body: ByteStream },
): ResultAsync<RegisteredUpload, RegisterUploadError> {
  return readSource(input.body, deps.config.uploadPolicy.maxBytes).andThen((source) =>
    findDuplicate(deps, input.ownerId, { source: source.sha256 }).andThen((existing) =>
      existing ? okAsync({ upload: existing, duplicate: true }) : judgePhoto(deps, input, source).andThen((judged) => keepPhoto(deps, input, judged, null)),
    ),
  );
}

/** The multipart way in: the bytes arrive through the shell and get a new upload id. */
export function registerUpload(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly body: ByteStream },
): ResultAsync<RegisteredUpload, RegisterUploadError> {
  return storeUpload(deps, { ownerId: input.ownerId, uploadId: trusted<UploadId>(deps.ids.next()), body: input.body });
}
