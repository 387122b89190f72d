import type { ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import { checkWrittenPackage, entryName, packageKey } from '../domain/training-package.js';
import {
  packageWritten,
  type PackagingPipeline,
  type VerifyingPackagePipeline,
} from '../domain/training-pipeline.js';
import { uploadKey } from '../domain/upload.js';
import type { CoreDeps } from './core-deps.js';

/** Writes the training set, and only it, into a ZIP under this owner's and pipeline's key. */
export function buildPackageStep(
  deps: CoreDeps,
  pipeline: PackagingPipeline,
): ResultAsync<VerifyingPackagePipeline, DomainError> {
  const sources = pipeline.trainingSet.items.map((item) => ({
    name: entryName(item),
    key: uploadKey(pipeline.ownerId, item.uploadId),
  }));
  return deps.packager
    .build(packageKey(pipeline.ownerId, pipeline.id), sources)
    .andThen((written) => checkWrittenPackage(pipeline.trainingSet, pipeline.id, written))
    .map((written) => packageWritten(pipeline, written, deps.clock.now()));
}
