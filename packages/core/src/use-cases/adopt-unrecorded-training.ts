import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { domainError, type DomainError } from '../domain/errors.js';
import { adoptionOf } from '../domain/training-adoption.js';
import { isRunningAtTrainer, type TrainerReport, type TrainingPipeline, type TrainingStagePipeline } from '../domain/training-pipeline.js';
import type { CoreDeps } from './core-deps.js';
import { savePipeline } from './save-pipeline.js';

export type Reconciled =
  | { readonly kind: 'adopted'; readonly pipeline: TrainingStagePipeline; readonly answer: TrainerReport }
  /** Not adopted: not ours (logged by the caller), or stopped at the trainer (logged here). */
  | { readonly kind: 'refused'; readonly error: DomainError };

/**
 * A report about a training no pipeline records. The trainer is asked about it (never the body's
 * claims); the pipeline its input names adopts it when still waiting for exactly that answer
 * (`adoptionOf`, in the domain), and otherwise a still-running training is canceled at the
 * trainer, so nothing the trainer started is left running unattended. A transport failure comes
 * back as an error (the webhook is then redelivered); a training the trainer does not know, or
 * that names no pipeline of ours, is refused.
 */
export function reconcileUnrecorded(deps: CoreDeps, trainerTrainingId: string): ResultAsync<Reconciled, DomainError> {
  return deps.trainer
    .get(trainerTrainingId)
    .map((answer): TrainerReport | null => answer)
    .orElse((error) => (error.transient === true ? errAsync(error) : okAsync(null)))
    .andThen((answer) => {
      if (answer === null) return okAsync(unknown(`no pipeline recorded ${trainerTrainingId}, and the trainer does not know it`));
      const named = answer.pipelineId ?? null;
      const read: ResultAsync<TrainingPipeline | null, DomainError> =
        named === null ? okAsync(null) : deps.uow.transaction((repos) => repos.pipelines.getById(named));
      return read.andThen((pipeline) => decide(deps, trainerTrainingId, answer, pipeline));
    });
}

const unknown = (detail: string): Reconciled => ({ kind: 'refused', error: domainError('trainer.unknown_training', detail) });

/** Carries out what the domain decides (`adoptionOf`) about the trainer's answer. */
function decide(deps: CoreDeps, trainerTrainingId: string, answer: TrainerReport, pipeline: TrainingPipeline | null): ResultAsync<Reconciled, DomainError> {
  const decision = adoptionOf(pipeline, answer, deps.clock.now());
  switch (decision.kind) {
    case 'not_ours':
      return okAsync({ kind: 'refused', error: decision.reason });
    case 'adopt':
      return savePipeline(deps, decision.pipeline).map((saved): Reconciled => {
        deps.log.record({ kind: 'trainer.training_adopted', detail: { pipelineId: saved.id, trainerTrainingId, status: answer.status } });
        return { kind: 'adopted', pipeline: saved, answer };
      });
    case 'stop':
      return stopUnadopted(deps, trainerTrainingId, answer, decision.reason);
  }
}

/** A training one of our pipelines no longer waits for: canceled while it runs, so nothing is left unattended. */
function stopUnadopted(deps: CoreDeps, id: string, answer: TrainerReport, reason: DomainError): ResultAsync<Reconciled, DomainError> {
  const stop = isRunningAtTrainer(answer.status) ? deps.trainer.cancel(id) : okAsync(undefined);
  return stop
    .orElse((error) => (error.transient === true ? errAsync(error) : okAsync(undefined)))
    .map((): Reconciled => {
      deps.log.record({
        kind: 'trainer.training_unadopted',
        detail: { pipelineId: answer.pipelineId ?? null, trainerTrainingId: id, status: answer.status, code: reason.code, detail: reason.detail },
      });
      return unknown(`training ${id} was not adopted: ${reason.detail ?? reason.code}`);
    });
}
