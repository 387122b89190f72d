import { err, ok, type Result } from 'neverthrow';
import { domainError, type DomainError } from './errors.js';
import { restoreVerifiedUploads } from './rehydrate.js';
import type { Sha256, UploadId } from './ids.js';
import type { TrainingSet } from './training-set.js';
import type { ImageType, Upload } from './upload.js';

declare const verified: unique symbol;

/** What object storage holds under an upload's key, read just now. */
export type StoredObjectFacts =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly byteSize: number;
      readonly sha256: Sha256;
      /** Type sniffed from the stored bytes' magic numbers; null when not an allowed image. */
      readonly sniffedType: ImageType | null;
    };

export interface UploadEvidence {
  readonly uploadId: UploadId;
  readonly byteSize: number;
  readonly sha256: Sha256;
  readonly contentType: ImageType;
}

/** Evidence that every photo of a training set was checked in storage (I2). */
export interface VerifiedUploads {
  readonly evidence: readonly UploadEvidence[];
  readonly [verified]: true;
}

export type UploadVerificationError = DomainError<
  | 'verify.upload_missing'
  | 'verify.foreign_upload'
  | 'verify.object_missing'
  | 'verify.size_mismatch'
  | 'verify.hash_mismatch'
  | 'verify.type_mismatch'
>;

/**
 * Compares each training-set item with its current row and with what storage holds now. Any
 * difference ends the pipeline: a photo that changed since upload is not the photo the owner gave.
 */
export function verifyUploads(
  set: TrainingSet,
  rows: ReadonlyMap<UploadId, Upload>,
  objects: ReadonlyMap<UploadId, StoredObjectFacts>,
): Result<VerifiedUploads, UploadVerificationError> {
  const evidence: UploadEvidence[] = [];
  for (const item of set.items) {
    const row = rows.get(item.uploadId);
    if (!row || row.status !== 'stored') {
      return err(domainError('verify.upload_missing', `upload ${item.uploadId} is ${row ? row.status : 'gone'}`));
    }
    if (row.ownerId !== set.ownerId) {
      return err(domainError('verify.foreign_upload', `upload ${item.uploadId} belongs to another owner`));
    }
    const object = objects.get(item.uploadId);
    if (!object?.exists) return err(domainError('verify.object_missing', `no object for upload ${item.uploadId}`));
    if (object.byteSize !== item.byteSize || row.byteSize !== item.byteSize) {
      return err(domainError('verify.size_mismatch', `upload ${item.uploadId}: ${object.byteSize} != ${item.byteSize} bytes`));
    }
    if (object.sha256 !== item.sha256 || row.sha256 !== item.sha256) {
      return err(domainError('verify.hash_mismatch', `upload ${item.uploadId}: sha256 ${object.sha256} != ${item.sha256}`));
    }
    if (object.sniffedType !== item.contentType) {
      return err(
        domainError('verify.type_mismatch', `upload ${item.uploadId}: sniffed ${object.sniffedType ?? 'unknown'}, recorded ${item.contentType}`),
      );
    }
    evidence.push({ uploadId: item.uploadId, byteSize: object.byteSize, sha256: object.sha256, contentType: object.sniffedType });
  }
  return ok(restoreVerifiedUploads(evidence));
}
