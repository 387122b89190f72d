import type { ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import { verifyPackage } from '../domain/training-package.js';
import {
  packageVerified,
  type SubmittingPipeline,
  type VerifyingPackagePipeline,
} from '../domain/training-pipeline.js';
import type { CoreDeps } from './core-deps.js';

/** I3: the stored ZIP is read back and must hold exactly the training set before submission. */
export function verifyPackageStep(
  deps: CoreDeps,
  pipeline: VerifyingPackagePipeline,
): ResultAsync<SubmittingPipeline, DomainError> {
  return deps.packager
    .readBack(pipeline.package.key)
    .andThen((readBack) => verifyPackage(pipeline.trainingSet, pipeline.id, pipeline.package, readBack))
    .map((verified) => packageVerified(pipeline, verified, deps.clock.now()));
}
