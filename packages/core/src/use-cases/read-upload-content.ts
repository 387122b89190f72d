import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { domainError, type DomainError } from '../domain/errors.js';
import type { OwnerId, UploadId } from '../domain/ids.js';
import { uploadKey, type Upload } from '../domain/upload.js';
import type { ByteStream } from '../ports/object-store.js';
import type { CoreDeps } from './core-deps.js';

export interface UploadContent {
  readonly upload: Upload;
  /** The stored (normalised) bytes: upright, sRGB, no metadata; `upload.contentType` says their type. */
  readonly body: ByteStream;
}

/**
 * The owner's stored photo, for showing it back to them. Another owner's upload, a deleted one
 * and one whose bytes are gone are all `upload.not_found`: nobody learns that an id exists.
 */
export function readUploadContent(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly uploadId: UploadId },
): ResultAsync<UploadContent, DomainError> {
  const notFound = () => domainError('upload.not_found', `upload ${input.uploadId}`);
  return deps.uow
    .transaction((repos) => repos.uploads.get(input.ownerId, input.uploadId))
    .andThen((upload) => (upload && upload.status === 'stored' && upload.ownerId === input.ownerId ? okAsync(upload) : errAsync(notFound())))
    .andThen((upload) =>
      deps.objects
        .read(uploadKey(upload.ownerId, upload.id))
        .andThen((body) => (body === null ? errAsync(notFound()) : okAsync({ upload, body }))),
    );
}
