import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import { domainError, transientError, type DomainError } from '../domain/errors.js';
import { trusted, type OwnerId, type Sha256, type UploadId } from '../domain/ids.js';
import { judgeFaces, judgeSamePerson, mainFace, refusingCheck, type PhotoCheck } from '../domain/photo-checks.js';
import { checkImage, newUpload, uploadKey, type Upload } from '../domain/upload.js';
import { addUsage, checkStorageQuota, type StoredUsage } from '../domain/quotas.js';
import type { ByteStream, PutFacts } from '../ports/object-store.js';
import type { NormalisedPhoto } from '../ports/photo-normaliser.js';
import type { PersistenceError, Repositories } from '../ports/repositories.js';
import type { CoreDeps } from './core-deps.js';
import { discardObject } from './discard-object.js';

// The steps of taking in one photo, shared by both ways in and by both timings (judged before
// the answer, `storeUpload`; after it, `checkUpload`): read and hash the bytes as sent, judge
// them (normalise, face checks), keep them (store, record). Not on the core's public surface.

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
  | 'upload.too_many_pixels'
  | 'upload.busy'
  | 'upload.no_face'
  | 'upload.several_faces'
  | 'upload.checks_unavailable'
  | 'quota.stored_photos'
  | 'quota.stored_bytes'
  | 'storage.unavailable'
  | 'persistence.conflict'
  | 'persistence.constraint'
  | 'persistence.corrupt'
  | 'persistence.unavailable'
>;

/**
 * Whether `adding` fits beside what the owner already holds (the quota, when one is configured):
 * stored photos and photos still checking, but for `except` (the photo being stored now).
 */
export function withinStorageQuota(
  deps: CoreDeps,
  repos: Repositories,
  ownerId: OwnerId,
  adding: StoredUsage,
  except: UploadId | null = null,
): ResultAsync<void, DomainError<'quota.stored_photos' | 'quota.stored_bytes'> | PersistenceError> {
  const quotas = deps.config.quotas;
  if (!quotas) return okAsync(undefined);
  // Two aggregates, not the rows: an owner's rows carry face embeddings, and this runs per upload.
  return repos.uploads
    .storedUsage(ownerId)
    .andThen((stored) => repos.pendingUploads.checkingUsage(ownerId, except).map((checking) => addUsage(stored, checking)))
    .andThen((usage) => checkStorageQuota(quotas, usage, adding));
}

/** The bytes a person sent, as sent: held once (the photo is judged whole), hashed as they arrive. */
export interface SourcePhoto {
  readonly bytes: Uint8Array;
  readonly sha256: Sha256;
}

/** What the photo checks concluded for a photo that may be stored. */
export interface Checked {
  readonly checks: readonly PhotoCheck[];
  readonly faceEmbedding: readonly number[] | null;
}

/** Reads the body up to the size limit (one byte more is `upload.too_large`, and reading stops there). */
export function readSource(body: ByteStream, maxBytes: number): ResultAsync<SourcePhoto, RegisterUploadError> {
  const read = async (): Promise<SourcePhoto | 'too_large'> => {
    const hash = sha256.create();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of body) {
      total += chunk.byteLength;
      if (total > maxBytes) return 'too_large';
      hash.update(chunk);
      chunks.push(chunk);
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return { bytes, sha256: trusted<Sha256>(bytesToHex(hash.digest())) };
  };
  // A stream that breaks off is transport trouble (a client that went away, storage that failed).
  return ResultAsync.fromPromise(read(), (cause) => transientError('storage.unavailable', `read failed: ${String(cause)}`)).andThen(
    (source) =>
      source === 'too_large'
        ? errAsync(domainError('upload.too_large', `more than ${maxBytes} bytes`))
        : source.bytes.byteLength === 0
          ? errAsync(domainError('upload.corrupt', 'empty file'))
          : okAsync(source),
  );
}

/** The owner's live upload of these bytes, whether sent as they are or stored as they are. */
export function findDuplicate(deps: CoreDeps, ownerId: OwnerId, sha: { source: Sha256; stored?: Sha256 }): ResultAsync<Upload | null, RegisterUploadError> {
  return deps.uow.transaction((repos) =>
    repos.uploads
      .findStoredBySourceSha256(ownerId, sha.source)
      .andThen((found) => (found || sha.stored === undefined ? okAsync(found) : repos.uploads.findStoredBySha256(ownerId, sha.stored))),
  );
}

/**
 * The photo checks (issue 11): faces found by the face inspector, judged by the core. A failed
 * check refuses the photo; the same-person check compares with the owner's stored photos and
 * only warns here (a set that mixes people is refused when a training starts).
 */
function checkFaces(deps: CoreDeps, ownerId: OwnerId, uploadId: UploadId, photo: NormalisedPhoto): ResultAsync<Checked, RegisterUploadError> {
  if (deps.faces === null) return okAsync({ checks: [], faceEmbedding: null });
  const policy = deps.config.photoChecks;
  return deps.faces.inspect(photo).andThen((report) => {
    const checks = judgeFaces(policy, report);
    const refusing = refusingCheck(checks);
    if (refusing) {
      const code = refusing.name === 'face_found' ? 'upload.no_face' : 'upload.several_faces';
      return errAsync(domainError(code, `${report.faces.length} faces in ${report.width}x${report.height}`));
    }
    const embedding = mainFace(report)?.embedding ?? null;
    if (embedding === null) return okAsync({ checks, faceEmbedding: null });
    return deps.uow
      .transaction((repos) => repos.uploads.listByOwner(ownerId))
      .map((stored) => {
        const others = stored.flatMap((upload) => (upload.faceEmbedding ? [{ uploadId: upload.id, embedding: upload.faceEmbedding }] : []));
        const same = judgeSamePerson(policy, { uploadId, embedding }, others);
        return { checks: same ? [...checks, same] : checks, faceEmbedding: embedding };
      });
  });
}

/**
 * What else must change in the transaction that records a photo (or finds it a duplicate): a
 * photo checked after the answer leaves the pending table in the same write.
 */
export type SettleKept = (repos: Repositories, kept: RegisteredUpload) => ResultAsync<void, PersistenceError>;

function record(deps: CoreDeps, upload: Upload, settle: SettleKept | null): ResultAsync<RegisteredUpload, RegisterUploadError> {
  const sha = { source: upload.sourceSha256, stored: upload.sha256 };
  const settled = (repos: Repositories, kept: RegisteredUpload) => (settle ? settle(repos, kept).map(() => kept) : okAsync(kept));
  return deps.uow
    .transaction((repos) =>
      repos.uploads
        .findStoredBySourceSha256(upload.ownerId, sha.source)
        .andThen((existing) =>
          existing
            ? okAsync({ upload: existing, duplicate: true })
            : withinStorageQuota(deps, repos, upload.ownerId, { photos: 1, bytes: upload.byteSize }, upload.id)
                .andThen(() => repos.uploads.insert(upload))
                .map((inserted) => ({ upload: inserted, duplicate: false })),
        )
        .andThen((kept) => settled(repos, kept)),
    )
    .orElse((error) =>
      // Two identical uploads raced and the other won, or other bytes normalised to the same
      // stored photo (the same picture with other metadata): it is the same photo.
      error.code === 'persistence.conflict'
        ? findDuplicate(deps, upload.ownerId, sha).andThen((existing) =>
            existing ? deps.uow.transaction((repos) => settled(repos, { upload: existing, duplicate: true })) : errAsync(error),
          )
        : errAsync(error),
    );
}

/** The stored photo as the one-chunk stream the object store takes. */
export async function* once(bytes: Uint8Array): ByteStream {
  yield await Promise.resolve(bytes);
}

/** A photo judged fit to store: the bytes as sent, the photo to store, what the checks found. */
export interface JudgedPhoto {
  readonly source: SourcePhoto;
  readonly photo: NormalisedPhoto;
  readonly checked: Checked;
}

/**
 * Normalises the photo (HEIC to JPEG, orientation applied, sRGB, metadata dropped) and runs the
 * photo checks; any refusal is the photo's verdict.
 */
export function judgePhoto(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly uploadId: UploadId },
  source: SourcePhoto,
): ResultAsync<JudgedPhoto, RegisterUploadError> {
  return deps.photos
    .normalise(source.bytes)
    .andThen((photo) => checkImage(deps.config.uploadPolicy, source.bytes.byteLength, photo.facts).map(() => photo))
    .andThen((photo) => checkFaces(deps, input.ownerId, input.uploadId, photo).map((checked) => ({ source, photo, checked })));
}

/**
 * Stores a judged photo at the final key of `uploadId` and records both hashes (with `settle`
 * in the same transaction). A duplicate or a failure leaves nothing under that key.
 */
export function keepPhoto(
  deps: CoreDeps,
  input: { readonly ownerId: OwnerId; readonly uploadId: UploadId },
  judged: JudgedPhoto,
  settle: SettleKept | null,
): ResultAsync<RegisteredUpload, RegisterUploadError> {
  const policy = deps.config.uploadPolicy;
  const key = uploadKey(input.ownerId, input.uploadId);
  const { source, photo, checked } = judged;
  // A retried or raced `complete` reuses its id: never discard bytes that id already has a row for.
  // When the row cannot be looked up the bytes stay; the audit finds objects that have no row.
  const discardUnrecorded = (): ResultAsync<void, never> =>
    deps.uow
      .transaction((repos) => repos.uploads.get(input.ownerId, input.uploadId))
      .map((row) => row !== null)
      .orElse(() => okAsync(true))
      .andThen((recorded) => (recorded ? okAsync(undefined) : discardObject(deps, key)));
  return deps.objects
    // The stored photo may be a little larger than what was sent (a re-encoded PNG): its own bound.
    .put(key, once(photo.bytes), { maxBytes: Math.max(policy.maxBytes, photo.bytes.byteLength) })
    .mapErr((error): RegisterUploadError => transientError('storage.unavailable', error.detail))
    .andThen((stored: PutFacts) =>
      record(
        deps,
        newUpload({
          id: input.uploadId,
          ownerId: input.ownerId,
          sha256: stored.sha256,
          sourceSha256: source.sha256,
          byteSize: stored.byteSize,
          facts: photo.facts,
          checks: checked.checks,
          faceEmbedding: checked.faceEmbedding,
          now: deps.clock.now(),
        }),
        settle,
      )
        .andThen((registered) => (registered.duplicate ? discardUnrecorded().map(() => registered) : okAsync(registered)))
        .orElse((error) => discardUnrecorded().andThen(() => errAsync(error))),
    );
}
