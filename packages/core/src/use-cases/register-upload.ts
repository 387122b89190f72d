import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { domainError, transientError, type DomainError } from '../domain/errors.js';
import { trusted, type OwnerId, type UploadId } from '../domain/ids.js';
import { checkImage, newUpload, uploadKey, type ImageFacts, type Upload } from '../domain/upload.js';
import { checkStorageQuota, storedUsage, type StoredUsage } from '../domain/quotas.js';
import type { ByteStream, PutFacts } from '../ports/object-store.js';
import type { PersistenceError, Repositories } from '../ports/repositories.js';
import type { CoreDeps } from './core-deps.js';
import { discardObject } from './discard-object.js';

export interface RegisteredUpload {
  readonly upload: Upload;
  /** True when the owner had already stored these exact bytes: the existing upload is returned. */
  readonly duplicate: boolean;
}

export type RegisterUploadError = DomainError<
  | 'upload.too_large'
  | 'upload.unsupported_type'
  | 'upload.corrupt'
  | 'upload.too_small'
  | 'quota.stored_photos'
  | 'quota.stored_bytes'
  | 'storage.unavailable'
  | 'persistence.conflict'
  | 'persistence.constraint'
  | 'persistence.corrupt'
  | 'persistence.unavailable'
>;

/** Whether `adding` fits beside what the owner already stores (the quota, when one is configured). */
export function withinStorageQuota(
  deps: CoreDeps,
  repos: Repositories,
  ownerId: OwnerId,
  adding: StoredUsage,
): ResultAsync<void, DomainError<'quota.stored_photos' | 'quota.stored_bytes'> | PersistenceError> {
  const quotas = deps.config.quotas;
  if (!quotas) return okAsync(undefined);
  return repos.uploads.listByOwner(ownerId).andThen((uploads) => checkStorageQuota(quotas, storedUsage(uploads), adding));
}

/** Judges stored bytes by what they are (magic bytes, a full read, dimensions), never by claims. */
function judge(deps: CoreDeps, stored: PutFacts): ResultAsync<ImageFacts, RegisterUploadError> {
  if (stored.byteSize === 0) return errAsync(domainError('upload.corrupt', 'empty file'));
  return deps.objects
    .read(stored.key)
    .andThen((bytes) => (bytes ? okAsync(bytes) : errAsync(domainError('upload.corrupt', 'object vanished after put'))))
    .andThen((bytes) => deps.images.inspect(bytes))
    .andThen((facts) => checkImage(deps.config.uploadPolicy, stored.byteSize, facts));
}

function record(
  deps: CoreDeps,
  ownerId: OwnerId,
  id: UploadId,
  stored: PutFacts,
  facts: ImageFacts,
): ResultAsync<RegisteredUpload, RegisterUploadError> {
  const findExisting = () =>
    deps.uow.transaction((repos) => repos.uploads.findStoredBySha256(ownerId, stored.sha256));
  return deps.uow
    .transaction((repos) =>
      repos.uploads.findStoredBySha256(ownerId, stored.sha256).andThen((existing) =>
        existing
          ? okAsync({ upload: existing, duplicate: true })
          : withinStorageQuota(deps, repos, ownerId, { photos: 1, bytes: stored.byteSize })
              .andThen(() => repos.uploads.insert(newUpload({ id, ownerId, sha256: stored.sha256, byteSize: stored.byteSize, facts, now: deps.clock.now() })))
              .map((upload) => ({ upload, duplicate: false })),
      ),
    )
    .orElse((error) =>
      // Two identical uploads raced and the other won: it is the same photo.
      error.code === 'persistence.conflict'
        ? findExisting().andThen((existing) => (existing ? okAsync({ upload: existing, duplicate: true }) : errAsync(error)))
        : errAsync(error),
    );
}

/**
 * Streams the bytes to the final key of `uploadId` (size limit enforced while reading), judges
 * them, and records the upload, or returns the owner's existing upload of the same bytes.
 * Refused or duplicate bytes leave nothing behind under that key. Shared by both ways in.
 */
export function storeUpload(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly uploadId: UploadId; readonly body: ByteStream },
): ResultAsync<RegisteredUpload, RegisterUploadError> {
  const key = uploadKey(input.ownerId, input.uploadId);
  // A retried or raced `complete` reuses its id: never discard bytes that id already has a row for.
  // When the row cannot be looked up the bytes stay; the audit finds objects that have no row.
  const discardUnrecorded = (): ResultAsync<void, never> =>
    deps.uow
      .transaction((repos) => repos.uploads.get(input.ownerId, input.uploadId))
      .map((row) => row !== null)
      .orElse(() => okAsync(true))
      .andThen((recorded) => (recorded ? okAsync(undefined) : discardObject(deps, key)));
  return deps.objects
    .put(key, input.body, { maxBytes: deps.config.uploadPolicy.maxBytes })
    .mapErr((error): RegisterUploadError =>
      error.code === 'storage.too_large' ? domainError('upload.too_large', error.detail) : transientError('storage.unavailable', error.detail),
    )
    .andThen((stored) =>
      judge(deps, stored)
        .andThen((facts) => record(deps, input.ownerId, input.uploadId, stored, facts))
        .andThen((registered) => (registered.duplicate ? discardUnrecorded().map(() => registered) : okAsync(registered)))
        .orElse((error) => discardUnrecorded().andThen(() => errAsync(error))),
    );
}

/** The multipart way in: the bytes arrive through the shell and get a new upload id. */
export function registerUpload(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly body: ByteStream },
): ResultAsync<RegisteredUpload, RegisterUploadError> {
  return storeUpload(deps, { ownerId: input.ownerId, uploadId: trusted<UploadId>(deps.ids.next()), body: input.body });
}
