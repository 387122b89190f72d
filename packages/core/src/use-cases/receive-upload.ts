import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { domainError, transientError } from '../domain/errors.js';
import { trusted, UploadId, type OwnerId, type Sha256 } from '../domain/ids.js';
import { receivePhoto, type PendingUpload } from '../domain/pending-upload.js';
import { stagingKey, type Upload } from '../domain/upload.js';
import type { ByteStream } from '../ports/object-store.js';
import type { PersistenceError } from '../ports/repositories.js';
import { closeSlot, completeUpload, notStaged, type CompleteUploadError } from './complete-upload.js';
import type { CoreDeps } from './core-deps.js';
import { discardObject } from './discard-object.js';
import { once, readSource, withinStorageQuota, type RegisteredUpload, type RegisterUploadError, type SourcePhoto } from './photo-intake.js';
import { registerUpload } from './register-upload.js';

/** What the owner is answered: the photo stored (judged before the answer, or long ago), or received and checking. */
export type AcceptedUpload =
  | { readonly kind: 'stored'; readonly upload: Upload; readonly duplicate: boolean }
  | { readonly kind: 'pending'; readonly pending: PendingUpload; readonly duplicate: boolean };

/** Reading, staging and recording the bytes as sent can fail as a photo judged before the answer can. */
export type ReceiveUploadError = RegisterUploadError;

const asStored = (registered: RegisteredUpload): AcceptedUpload => ({ kind: 'stored', ...registered });

/** The owner's photo sent as these bytes: stored, or still being checked. */
function alreadyHeld(deps: CoreDeps, ownerId: OwnerId, sourceSha256: Sha256): ResultAsync<AcceptedUpload | null, PersistenceError> {
  return deps.uow.transaction((repos) =>
    repos.uploads.findStoredBySourceSha256(ownerId, sourceSha256).andThen((upload) =>
      upload
        ? okAsync<AcceptedUpload | null, PersistenceError>({ kind: 'stored', upload, duplicate: true })
        : repos.pendingUploads
            .findCheckingBySourceSha256(ownerId, sourceSha256)
            .map((pending): AcceptedUpload | null => (pending ? { kind: 'pending', pending, duplicate: true } : null)),
    ),
  );
}

/**
 * Records a received photo as `checking` (its bytes as sent are under the owner's staging key),
 * within the storage quota. A twin that raced in first answers as the duplicate it is.
 */
function recordReceived(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly uploadId: UploadId },
  source: SourcePhoto,
): ResultAsync<AcceptedUpload, ReceiveUploadError> {
  const received = receivePhoto({ id: input.uploadId, ownerId: input.ownerId, sourceSha256: source.sha256, byteSize: source.bytes.byteLength, now: deps.clock.now() });
  return deps.uow
    .transaction((repos) =>
      withinStorageQuota(deps, repos, input.ownerId, { photos: 1, bytes: received.byteSize }, input.uploadId).andThen(() =>
        repos.pendingUploads.insert(received),
      ),
    )
    .map((pending): AcceptedUpload => ({ kind: 'pending', pending, duplicate: false }))
    .orElse((error) =>
      error.code === 'persistence.conflict'
        ? alreadyHeld(deps, input.ownerId, source.sha256).andThen((held) => (held ? okAsync(held) : errAsync(error)))
        : errAsync(error),
    );
}

/**
 * The multipart way in when photos are checked after the answer: reads and hashes the bytes
 * (size limit enforced while reading), answers the owner's photo of the same bytes if there is
 * one, else stages the bytes as sent and records them `checking`. Decoding, normalising and the
 * face checks happen in the worker (`checkDueUploads`). A failure leaves nothing staged.
 */
export function receiveUpload(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly body: ByteStream },
): ResultAsync<AcceptedUpload, ReceiveUploadError> {
  const ids = { ownerId: input.ownerId, uploadId: trusted<UploadId>(deps.ids.next()) };
  const key = stagingKey(ids.ownerId, ids.uploadId);
  return readSource(input.body, deps.config.uploadPolicy.maxBytes).andThen((source) =>
    alreadyHeld(deps, ids.ownerId, source.sha256).andThen((held) =>
      held
        ? okAsync(held)
        : deps.objects
            .put(key, once(source.bytes), { maxBytes: deps.config.uploadPolicy.maxBytes })
            .mapErr((error): ReceiveUploadError => transientError('storage.unavailable', error.detail))
            .andThen(() => recordReceived(deps, ids, source))
            .andThen((accepted) => (accepted.duplicate ? discardObject(deps, key).map(() => accepted) : okAsync(accepted)))
            .orElse((error) => discardObject(deps, key).andThen(() => errAsync(error))),
    ),
  );
}

export type ReceiveStagedError = CompleteUploadError;

/**
 * The direct way in, second half, when photos are checked after the answer: the bytes the owner
 * PUT stay under the staging key; they are read once (hashed, size limit) and recorded
 * `checking`. Completing an id the owner already has (stored or pending) answers it. A refused
 * read discards the staged bytes and frees the slot; a transient one keeps both for a retry.
 */
export function receiveStagedUpload(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly uploadId: string },
): ResultAsync<AcceptedUpload, ReceiveStagedError> {
  const { ownerId } = input;
  return UploadId.parse(input.uploadId)
    .mapErr(() => domainError('upload.not_found', 'malformed upload id'))
    .asyncAndThen((uploadId) => {
      const key = stagingKey(ownerId, uploadId);
      const recorded = (): ResultAsync<AcceptedUpload | null, PersistenceError> =>
        deps.uow.transaction((repos) =>
          repos.uploads.get(ownerId, uploadId).andThen((upload) =>
            upload
              ? okAsync<AcceptedUpload | null, PersistenceError>({ kind: 'stored', upload, duplicate: true })
              : repos.pendingUploads.get(ownerId, uploadId).map((pending): AcceptedUpload | null => (pending ? { kind: 'pending', pending, duplicate: true } : null)),
          ),
        );
      const receive = (): ResultAsync<AcceptedUpload, ReceiveStagedError> =>
        deps.objects
          .read(key)
          .andThen((body) => (body ? readSource(body, deps.config.uploadPolicy.maxBytes) : errAsync(notStaged(`nothing at ${key}`))))
          .andThen((source) =>
            alreadyHeld(deps, ownerId, source.sha256).andThen((held) =>
              held ? discardObject(deps, key).map(() => held) : recordReceived(deps, { ownerId, uploadId }, source),
            ),
          )
          .orElse((error) => (error.transient || error.code === 'upload.not_found' ? errAsync(error) : discardObject(deps, key).andThen(() => errAsync(error))));
      return recorded().andThen((done) =>
        done
          ? okAsync(done)
          : receive()
              .andThen((accepted) => closeSlot(deps, ownerId, uploadId).map(() => accepted))
              .orElse((error) =>
                error.transient || error.code === 'upload.not_found' ? errAsync(error) : closeSlot(deps, ownerId, uploadId).andThen(() => errAsync(error)),
              ),
      );
    });
}

/** The multipart way in, as this deployment judges photos: before the answer, or after it. */
export function acceptUpload(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly body: ByteStream },
): ResultAsync<AcceptedUpload, RegisterUploadError> {
  return deps.config.checkPhotosAfterAnswer === true ? receiveUpload(deps, input) : registerUpload(deps, input).map(asStored);
}

/** The direct way in, second half, as this deployment judges photos. */
export function acceptStagedUpload(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly uploadId: string },
): ResultAsync<AcceptedUpload, CompleteUploadError> {
  return deps.config.checkPhotosAfterAnswer === true ? receiveStagedUpload(deps, input) : completeUpload(deps, input).map(asStored);
}
