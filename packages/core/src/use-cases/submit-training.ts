import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { domainError, type DomainError } from '../domain/errors.js';
import { adoptSubmission } from '../domain/training-adoption.js';
import {
  submitted,
  type TrainerReport,
  type SubmittingPipeline,
  type TrainingStagePipeline,
} from '../domain/training-pipeline.js';
import type { CoreDeps } from './core-deps.js';

/**
 * The package is checked again right before it is handed over: verification happened a step
 * earlier, and the URL we sign serves whatever is stored under the key now (I3).
 */
function stillVerified(deps: CoreDeps, pipeline: SubmittingPipeline): ResultAsync<void, DomainError> {
  return deps.objects.inspect(pipeline.package.key).andThen((stored) => {
    if (!stored.exists) return errAsync(domainError('package.missing', `no object at ${pipeline.package.key}`));
    return stored.sha256 === pipeline.package.sha256 && stored.byteSize === pipeline.package.byteSize
      ? okAsync(undefined)
      : errAsync(domainError('package.hash_mismatch', `stored zip sha256 ${stored.sha256} != verified ${pipeline.package.sha256}`));
  });
}

/**
 * Hands the verified package to the trainer. Being in `submitting` is the recorded intent: if a
 * training for this pipeline already exists (we crashed after the trainer accepted it), it is
 * adopted instead of creating a second one.
 */
export function submitTrainingStep(
  deps: CoreDeps,
  pipeline: SubmittingPipeline,
): ResultAsync<TrainingStagePipeline, DomainError> {
  return deps.trainer
    .findSubmission(pipeline.id)
    .andThen((existing) =>
      existing
        ? adoptSubmission(pipeline, existing, deps.clock.now())
        : stillVerified(deps, pipeline)
            .andThen(() => deps.objects.signedGetUrl(pipeline.package.key, deps.config.packageUrlTtlSeconds))
            .andThen((inputUrl) =>
              deps.trainer.submit({
                pipelineId: pipeline.id,
                destination: pipeline.destination,
                inputUrl,
                triggerWord: pipeline.triggerWord,
              }),
            )
            .andThen((report: TrainerReport) => submitted(pipeline, report, deps.clock.now())),
    );
}
