import type { OwnerId } from './ids.js';
import type { Model, ModelFields } from './model.js';
import type { PackageFacts, VerifiedPackage } from './training-package.js';
import type { NonEmpty, TrainingSet, TrainingSetItem } from './training-set.js';
import type { UploadEvidence, VerifiedUploads } from './upload-verification.js';

// The only ways to make the core's verified types besides the checks themselves: the checks use
// them on what they verified, and a repository on a row it wrote after a check. Not on the
// public barrel (a host could otherwise declare anything verified): adapters reach them through
// `@selfie-lora/core/persistence`, which the layer check allows for adapters and tests only.

/** Evidence of verified uploads, from the check or a trusted row. */
export function restoreVerifiedUploads(evidence: readonly UploadEvidence[]): VerifiedUploads {
  return { evidence } as VerifiedUploads;
}

/** A verified package's facts, from the check or a trusted row. */
export function restoreVerifiedPackage(facts: PackageFacts): VerifiedPackage {
  return facts as VerifiedPackage;
}

/** A training set, from the check or a trusted row; the schema re-checks ownership (I1). */
export function restoreTrainingSet(ownerId: OwnerId, items: NonEmpty<TrainingSetItem>): TrainingSet {
  return { ownerId, items } as TrainingSet;
}

/** A model from a trusted row (or `trainingSucceeded`); the schema re-checks its provenance (I5, I6). */
export function restoreModel(fields: ModelFields): Model {
  return fields as Model;
}
