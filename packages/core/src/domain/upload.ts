import { err, ok, type Result } from 'neverthrow';
import { domainError, type DomainError } from './errors.js';
import type { OwnerId, Sha256, UploadId } from './ids.js';
import { ownerRef } from './owner-ref.js';
import type { PhotoCheck } from './photo-checks.js';

/** What is stored and what the trainer gets: every photo is normalised to one of these. */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

export function isImageType(value: unknown): value is ImageType {
  return (IMAGE_TYPES as readonly unknown[]).includes(value);
}

/**
 * Every type a person may upload (by magic bytes), the one list: the stored types plus the
 * iPhone's default, HEIC/HEIF, which is normalised to JPEG at ingest.
 */
export const INPUT_IMAGE_TYPES = [...IMAGE_TYPES, 'image/heic', 'image/heif'] as const;
export type InputImageType = (typeof INPUT_IMAGE_TYPES)[number];

export function isInputImageType(value: unknown): value is InputImageType {
  return (INPUT_IMAGE_TYPES as readonly unknown[]).includes(value);
}

export interface UploadPolicy {
  readonly maxBytes: number;
  readonly minWidth: number;
  readonly minHeight: number;
}

export const defaultUploadPolicy: UploadPolicy = {
  maxBytes: 20 * 1024 * 1024,
  minWidth: 256,
  minHeight: 256,
};

/** What an image inspector found in the bytes themselves (never the client's claim). */
export interface ImageFacts {
  readonly contentType: ImageType;
  readonly width: number;
  readonly height: number;
}

export type UploadStatus = 'stored' | 'deleted';

export interface Upload {
  readonly id: UploadId;
  readonly ownerId: OwnerId;
  readonly status: UploadStatus;
  readonly contentType: ImageType;
  /** Of the stored (normalised) bytes: what storage, the ZIP and the trainer carry (I2, I3). */
  readonly byteSize: number;
  readonly sha256: Sha256;
  /** Of the bytes the client sent: re-sending them finds this upload (dedup per owner). */
  readonly sourceSha256: Sha256;
  readonly width: number;
  readonly height: number;
  /** What the photo checks found (empty when none ran); failed checks refuse a photo before it is stored. */
  readonly checks: readonly PhotoCheck[];
  /** The face's identity embedding, for the same-person judgement; erased when the photo is. */
  readonly faceEmbedding: readonly number[] | null;
  readonly createdAt: Date;
  readonly deletedAt: Date | null;
  /** Optimistic concurrency: the revision this copy was read at. */
  readonly revision: number;
}

/** Storage keys derive from owner and upload id only, never from a client's file name. */
export function uploadKey(ownerId: OwnerId, uploadId: UploadId): string {
  return `uploads/${ownerRef(ownerId)}/${uploadId}`;
}

/** How long a client has to PUT its photo through the signed URL of a staging key. */
export const UPLOAD_SLOT_TTL_SECONDS = 15 * 60;

/**
 * Where a direct (presigned PUT) upload waits until `complete` judges it. Owner-scoped like the
 * final key, so completing another owner's id finds nothing; never read by anything else.
 */
export function stagingKey(ownerId: OwnerId, uploadId: UploadId): string {
  return `staging/${ownerRef(ownerId)}/${uploadId}`;
}

/**
 * The size a client declares before a direct upload, judged as the bytes would be: over the
 * limit is `upload.too_large`, nothing is `upload.corrupt` (an empty file), so a slot is only
 * ever signed for a length the policy accepts. A declared size that is not a byte count is
 * `upload.corrupt` too (the shell refuses it first).
 */
export function checkDeclaredSize(
  policy: UploadPolicy,
  byteSize: number,
): Result<number, DomainError<'upload.too_large' | 'upload.corrupt'>> {
  if (!Number.isSafeInteger(byteSize) || byteSize < 0) return err(domainError('upload.corrupt', `declared size ${byteSize} is not a byte count`));
  if (byteSize > policy.maxBytes) return err(domainError('upload.too_large', `declared ${byteSize} > ${policy.maxBytes} bytes`));
  if (byteSize === 0) return err(domainError('upload.corrupt', 'declared an empty file'));
  return ok(byteSize);
}

export function checkImage(
  policy: UploadPolicy,
  byteSize: number,
  facts: ImageFacts,
): Result<ImageFacts, DomainError<'upload.too_large' | 'upload.too_small' | 'upload.corrupt'>> {
  if (byteSize > policy.maxBytes) return err(domainError('upload.too_large', `${byteSize} > ${policy.maxBytes} bytes`));
  if (byteSize === 0) return err(domainError('upload.corrupt', 'empty file'));
  if (!Number.isInteger(facts.width) || !Number.isInteger(facts.height) || facts.width <= 0 || facts.height <= 0) {
    return err(domainError('upload.corrupt', `dimensions ${facts.width}x${facts.height}`));
  }
  if (facts.width < policy.minWidth || facts.height < policy.minHeight) {
    return err(
      domainError(
        'upload.too_small',
        `${facts.width}x${facts.height} is below ${policy.minWidth}x${policy.minHeight}`,
      ),
    );
  }
  return ok(facts);
}

export function newUpload(fields: {
  id: UploadId;
  ownerId: OwnerId;
  sha256: Sha256;
  /** Omitted: the bytes were stored as they were sent. */
  sourceSha256?: Sha256;
  byteSize: number;
  facts: ImageFacts;
  checks?: readonly PhotoCheck[];
  faceEmbedding?: readonly number[] | null;
  now: Date;
}): Upload {
  return {
    id: fields.id,
    ownerId: fields.ownerId,
    status: 'stored',
    contentType: fields.facts.contentType,
    byteSize: fields.byteSize,
    sha256: fields.sha256,
    sourceSha256: fields.sourceSha256 ?? fields.sha256,
    width: fields.facts.width,
    height: fields.facts.height,
    checks: fields.checks ?? [],
    faceEmbedding: fields.faceEmbedding ?? null,
    createdAt: fields.now,
    deletedAt: null,
    revision: 0,
  };
}

export function markDeleted(upload: Upload, now: Date): Upload {
  // The face embedding is biometric data of the photo: it goes with the bytes.
  return upload.status === 'deleted' ? upload : { ...upload, status: 'deleted', deletedAt: now, faceEmbedding: null };
}
