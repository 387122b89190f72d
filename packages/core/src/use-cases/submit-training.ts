import { okAsync, type ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import {
  submitted,
  type SubmittingPipeline,
  type TrainingStagePipeline,
} from '../domain/training-pipeline.js';
import type { CoreDeps } from './core-deps.js';

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
        ? okAsync(existing)
        : deps.objects
            .signedGetUrl(pipeline.package.key, deps.config.packageUrlTtlSeconds)
            .andThen((inputUrl) =>
              deps.trainer.submit({
                pipelineId: pipeline.id,
                destination: pipeline.destination,
                inputUrl,
                triggerWord: pipeline.triggerWord,
              }),
            ),
    )
    .andThen((report) => submitted(pipeline, report, deps.clock.now()));
}
