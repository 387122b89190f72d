import type { OwnerId } from '../../src/domain/ids.js';
import { trainingSetFrom, type TrainingSet } from '../../src/domain/training-set.js';
import type { Upload } from '../../src/domain/upload.js';
import { uploadsOf } from './upload-builder.js';

export interface SetWithUploads {
  readonly set: TrainingSet;
  readonly uploads: readonly Upload[];
}

/** A valid training set of `count` photos, made the only way the core allows: `trainingSetFrom`. */
export function trainingSetOf(ownerId: OwnerId, count = 3): SetWithUploads {
  const uploads = uploadsOf(ownerId, count);
  return { set: trainingSetFrom(ownerId, uploads, count)._unsafeUnwrap(), uploads };
}

/** Same, from uploads a test built itself. */
export function trainingSetFromUploads(ownerId: OwnerId, uploads: readonly Upload[]): TrainingSet {
  return trainingSetFrom(ownerId, uploads, uploads.length)._unsafeUnwrap();
}
