import { err, type Result } from 'neverthrow';
import { domainError, type DomainError } from './errors.js';
import {
  submitted,
  type SubmittingPipeline,
  type TrainerReport,
  type TrainingPipeline,
  type TrainingStagePipeline,
} from './training-pipeline.js';

/**
 * What to do with a training the trainer created but no pipeline records (a crash between the
 * trainer's answer and our database write):
 * - `adopt`: the pipeline it names is still `submitting`, waiting for exactly this answer;
 * - `stop`: it names one of our pipelines that no longer waits for it (ended, or holding another
 *   training): left running it would write a version nobody records, so it is canceled;
 * - `not_ours`: it names no pipeline we hold; it is only logged (another client of the account).
 */
export type Adoption =
  | { readonly kind: 'adopt'; readonly pipeline: TrainingStagePipeline }
  | { readonly kind: 'stop'; readonly reason: DomainError }
  | { readonly kind: 'not_ours'; readonly reason: DomainError };

/**
 * The trainer's own answer about a training names its pipeline through its input (the package
 * key); `submitting` is the recorded intent of exactly one submission. I5 holds because adopting
 * is the same `submitted` edge as a live submission (destination checked), so the result is
 * later applied only through `trainingSucceeded` against the id recorded here.
 */
export function adoptionOf(pipeline: TrainingPipeline | null, training: TrainerReport, now: Date): Adoption {
  // A training whose input names nothing (undefined or null) is not ours either: it never equals an id.
  if (pipeline === null || training.pipelineId !== pipeline.id) {
    return { kind: 'not_ours', reason: domainError('trainer.unknown_training', `no pipeline recorded ${training.trainerTrainingId}`) };
  }
  if (pipeline.status !== 'submitting') {
    const holds = ('trainerTrainingId' in pipeline ? pipeline.trainerTrainingId : null) ?? 'none';
    return {
      kind: 'stop',
      reason: domainError('training.already_finished', `pipeline ${pipeline.id} is ${pipeline.status} (training ${holds}), not waiting for ${training.trainerTrainingId}`),
    };
  }
  return adoptSubmission(pipeline, training, now).match<Adoption>(
    (adopted) => ({ kind: 'adopt', pipeline: adopted }),
    (reason) => ({ kind: 'stop', reason }),
  );
}

/**
 * A submitting pipeline takes over a training the trainer already holds for it (found by the
 * submit step, or reported by a webhook). A training that says it was made from another
 * pipeline's package is never this pipeline's.
 */
export function adoptSubmission(
  pipeline: SubmittingPipeline,
  training: TrainerReport,
  now: Date,
): Result<TrainingStagePipeline, DomainError<'trainer.destination_mismatch' | 'trainer.invalid_response'>> {
  if (training.pipelineId !== undefined && training.pipelineId !== pipeline.id) {
    return err(domainError('trainer.invalid_response', `training ${training.trainerTrainingId} names pipeline ${String(training.pipelineId)}`));
  }
  return submitted(pipeline, training, now);
}
