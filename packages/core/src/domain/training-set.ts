import { err, ok, type Result } from 'neverthrow';
import { domainError, type DomainError } from './errors.js';
import { restoreTrainingSet } from './rehydrate.js';
import type { OwnerId, Sha256, UploadId } from './ids.js';
import type { ImageType, Upload } from './upload.js';

declare const checked: unique symbol;

export interface TrainingSetItem {
  readonly uploadId: UploadId;
  readonly sha256: Sha256;
  readonly byteSize: number;
  readonly contentType: ImageType;
}

export type NonEmpty<T> = readonly [T, ...T[]];

/**
 * The photos one training is made of, fixed when the training starts. Only `trainingSetFrom`
 * makes one, so holding a `TrainingSet` means: non-empty, at least the minimum count, every
 * photo stored and owned by `ownerId` (I1, I2).
 */
export interface TrainingSet {
  readonly ownerId: OwnerId;
  readonly items: NonEmpty<TrainingSetItem>;
  readonly [checked]: true;
}

export const DEFAULT_MIN_PHOTOS = 10;
/** Trainers recommend 10 to 20 photos; more is refused (TRAINING_MAX_PHOTOS). */
export const DEFAULT_MAX_TRAINING_PHOTOS = 50;

export function trainingSetFrom(
  ownerId: OwnerId,
  uploads: readonly Upload[],
  minPhotos: number,
): Result<TrainingSet, DomainError<'training.not_enough_photos' | 'verify.foreign_upload' | 'verify.upload_missing'>> {
  const foreign = uploads.find((upload) => upload.ownerId !== ownerId);
  if (foreign) return err(domainError('verify.foreign_upload', `upload ${foreign.id} is not owned by the pipeline's owner`));
  const deleted = uploads.find((upload) => upload.status !== 'stored');
  if (deleted) return err(domainError('verify.upload_missing', `upload ${deleted.id} is ${deleted.status}`));
  const unique = [...new Map(uploads.map((upload) => [upload.id, upload])).values()];
  // Never fewer than one photo, whatever the configuration says: no model without uploads (I6).
  // Written so that a NaN or negative minimum can never let an empty set through.
  if (unique.length === 0 || !(unique.length >= minPhotos)) {
    return err(domainError('training.not_enough_photos', `${unique.length} of ${minPhotos} photos`));
  }
  const items = unique.map((upload) => ({
    uploadId: upload.id,
    sha256: upload.sha256,
    byteSize: upload.byteSize,
    contentType: upload.contentType,
  }));
  return ok(restoreTrainingSet(ownerId, items as unknown as NonEmpty<TrainingSetItem>));
}
