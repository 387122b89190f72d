import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { domainError, type DomainError } from '../domain/errors.js';
import type { ModelId } from '../domain/ids.js';
import { quarantine, quarantineReason, release, type Model } from '../domain/model.js';
import type { PersistenceError } from '../ports/repositories.js';
import type { CoreDeps } from './core-deps.js';

export type QuarantineError = DomainError<'model.not_found' | 'model.invalid_quarantine_reason'> | PersistenceError;

/**
 * Takes a model out of service (never served, never used) without deleting anything. Idempotent:
 * a model already in quarantine keeps its first reason.
 */
export function quarantineModel(
  deps: CoreDeps,
  input: { readonly modelId: ModelId; readonly reason: string },
): ResultAsync<Model, QuarantineError> {
  return quarantineReason(input.reason).asyncAndThen((reason) =>
    changeModel(deps, input.modelId, (model) => (model.status !== 'active' ? null : quarantine(model, reason))).map(({ model, changed }) => {
      if (changed) deps.log.record({ kind: 'model.quarantined', detail: { modelId: model.id, ownerId: model.ownerId, reason: model.quarantineReason } });
      return model;
    }),
  );
}

/** Returns a quarantined model to service (an operator's decision after looking at the evidence). */
export function releaseModel(deps: CoreDeps, input: { readonly modelId: ModelId }): ResultAsync<Model, QuarantineError> {
  return changeModel(deps, input.modelId, (model) => (model.status !== 'quarantined' ? null : release(model))).map(({ model, changed }) => {
    if (changed) deps.log.record({ kind: 'model.released', detail: { modelId: model.id, ownerId: model.ownerId } });
    return model;
  });
}

/** `change` answers null when the model is already as wanted. */
function changeModel(
  deps: CoreDeps,
  modelId: ModelId,
  change: (model: Model) => Model | null,
): ResultAsync<{ model: Model; changed: boolean }, QuarantineError> {
  return deps.uow.transaction((repos) =>
    repos.models.getById(modelId).andThen((model): ResultAsync<{ model: Model; changed: boolean }, QuarantineError> => {
      if (!model) return errAsync(domainError('model.not_found', `model ${modelId}`));
      const next = change(model);
      return next === null ? okAsync({ model, changed: false }) : repos.models.update(next).map((saved) => ({ model: saved, changed: true }));
    }),
  );
}
