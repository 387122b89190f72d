import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { contradicts } from '../domain/destination.js';
import { domainError, type DomainError } from '../domain/errors.js';
import { trusted, type ModelId } from '../domain/ids.js';
import type { Model } from '../domain/model.js';
import {
  cancelPipeline,
  failPipeline,
  judgeReport,
  stepAnswered,
  trainingSucceeded,
  type TrainerReport,
  type TrainingPipeline,
  type TrainingStagePipeline,
} from '../domain/training-pipeline.js';
import { reconcileUnrecorded } from './adopt-unrecorded-training.js';
import type { CoreDeps } from './core-deps.js';
import { savePipeline } from './save-pipeline.js';

/**
 * A webhook is a signed hint from outside; a poll is our own question to the trainer about the
 * training id we recorded. A mismatch in a webhook changes nothing; in a poll it ends the pipeline.
 */
export type ReportSource = 'webhook' | 'poll';

export interface ReportOutcome {
  readonly kind: 'applied' | 'unchanged' | 'ignored';
  readonly pipeline: TrainingPipeline;
  readonly model: Model | null;
}

function ignore(deps: CoreDeps, report: TrainerReport, error: DomainError, source: ReportSource) {
  deps.log.record({
    kind: 'trainer_report.ignored',
    detail: { source, trainerTrainingId: report.trainerTrainingId, status: report.status, code: error.code, detail: error.detail },
  });
}

/** Applies a report about the training recorded on `pipeline` (I5, I6). */
export function applyReportTo(
  deps: CoreDeps,
  pipeline: TrainingStagePipeline,
  report: TrainerReport,
  source: ReportSource,
): ResultAsync<ReportOutcome, DomainError> {
  const now = deps.clock.now();
  const refuse = (error: DomainError): ResultAsync<ReportOutcome, DomainError> => {
    ignore(deps, report, error, source);
    return source === 'poll'
      ? savePipeline(deps, failPipeline(pipeline, error, now)).map((ended) => ({ kind: 'applied', pipeline: ended, model: null }))
      : errAsync(error);
  };
  return judgeReport(pipeline, report).match((judged) => applyJudged(deps, pipeline, judged, source, now, refuse), refuse);
}

/** A report `judgeReport` let in: what it says happens to the pipeline. */
function applyJudged(
  deps: CoreDeps,
  pipeline: TrainingStagePipeline,
  report: TrainerReport,
  source: ReportSource,
  now: Date,
  refuse: (error: DomainError) => ResultAsync<ReportOutcome, DomainError>,
): ResultAsync<ReportOutcome, DomainError> {
  switch (report.status) {
    case 'starting':
    case 'processing': {
      // Our poll was answered: the step is not failing, so transport trouble before it stops
      // counting towards the retry bound (written only when a retry was pending). A webhook is
      // not the step, and a write from it would only race the worker's poll.
      const answered = source === 'poll' ? stepAnswered(pipeline, now) : pipeline;
      if (answered === pipeline) return okAsync({ kind: 'unchanged', pipeline, model: null });
      return savePipeline(deps, answered).map((saved) => ({ kind: 'unchanged', pipeline: saved, model: null }));
    }
    case 'failed':
    case 'canceled': {
      const ended =
        report.status === 'failed'
          ? failPipeline(pipeline, domainError('trainer.training_failed', report.error ?? undefined), now)
          : cancelPipeline(pipeline, 'trainer.training_canceled', now);
      return savePipeline(deps, ended).map((saved) => ({ kind: 'applied', pipeline: saved, model: null }));
    }
    case 'succeeded':
      return trainingSucceeded(pipeline, report, trusted<ModelId>(deps.ids.next()), now).match(
        ({ pipeline: done, model }) =>
          deps.uow
            .transaction((repos) =>
              repos.pipelines.update(done).andThen((saved) => repos.models.insert(model).map((stored) => ({ saved, stored }))),
            )
            .map(({ saved, stored }): ReportOutcome => ({ kind: 'applied', pipeline: saved, model: stored })),
        refuse,
      );
  }
}

/**
 * The webhook path. A webhook only says "look at training X": what is applied is the trainer's
 * own answer about the training recorded on the pipeline, fetched now, never the body's claims
 * (a signed body could still carry another version). A training no pipeline recorded is
 * reconciled (`reconcileUnrecorded`): adopted by the pipeline its input names when that one still
 * waits for it, else stopped at the trainer. Reports about pipelines that have moved on
 * (canceled, already succeeded) change nothing and are logged.
 */
export function applyTrainerReport(deps: CoreDeps, report: TrainerReport): ResultAsync<ReportOutcome, DomainError> {
  return deps.uow
    .transaction((repos) => repos.pipelines.findByTrainerTrainingId(report.trainerTrainingId))
    .andThen((pipeline): ResultAsync<ReportOutcome, DomainError> => {
      if (!pipeline) {
        // Perhaps a training the trainer created just before a crash kept us from recording it.
        return reconcileUnrecorded(deps, report.trainerTrainingId).andThen((reconciled) => {
          if (reconciled.kind === 'refused') {
            ignore(deps, report, reconciled.error, 'webhook');
            return errAsync(reconciled.error);
          }
          // Adopting is a change even when the training still runs.
          return applyReportTo(deps, reconciled.pipeline, reconciled.answer, 'webhook').map(
            (outcome): ReportOutcome => (outcome.kind === 'unchanged' ? { ...outcome, kind: 'applied' } : outcome),
          );
        });
      }
      if (pipeline.status === 'training') {
        return deps.trainer.get(pipeline.trainerTrainingId).andThen((answer) => {
          const disagrees =
            answer.status !== report.status ||
            answer.outputVersion !== report.outputVersion ||
            contradicts(report.destination, pipeline.destination);
          if (disagrees) {
            ignore(deps, report, domainError('trainer.invalid_response', `trainer says ${answer.status} ${String(answer.outputVersion)}`), 'webhook');
          }
          return applyReportTo(deps, pipeline, answer, 'webhook');
        });
      }
      const redelivery = pipeline.status === 'succeeded' && report.status === 'succeeded' && report.outputVersion === pipeline.modelVersion;
      if (!redelivery) ignore(deps, report, domainError('training.already_finished', `pipeline is ${pipeline.status}`), 'webhook');
      return okAsync({ kind: redelivery ? 'unchanged' : 'ignored', pipeline, model: null });
    });
}
