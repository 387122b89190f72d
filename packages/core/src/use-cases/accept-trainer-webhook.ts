import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { DomainError, ErrorCode } from '../domain/errors.js';
import type { TrainerReport } from '../domain/training-pipeline.js';
import { applyTrainerReport } from './apply-trainer-report.js';
import type { CoreDeps } from './core-deps.js';

export type WebhookOutcome = 'applied' | 'unchanged' | 'ignored' | 'duplicate';

/** Refusals a retry of the same delivery cannot change: acknowledged so the trainer stops retrying. */
const FINAL_REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'trainer.unknown_training',
  'trainer.invalid_response',
  'trainer.destination_mismatch',
]);

/**
 * A verified webhook delivery. A redelivery of a handled `webhook-id` is a no-op; the id is
 * recorded only once the report was applied (or finally refused), so a delivery whose apply
 * failed on the way (database down) is applied when the trainer retries it.
 */
export function acceptTrainerWebhook(
  deps: CoreDeps,
  delivery: { readonly deliveryId: string; readonly report: TrainerReport },
): ResultAsync<WebhookOutcome, DomainError> {
  return deps.uow
    .transaction((repos) => repos.webhookDeliveries.seen(delivery.deliveryId))
    .andThen((seen): ResultAsync<WebhookOutcome, DomainError> => {
      if (seen) return okAsync('duplicate');
      return applyTrainerReport(deps, delivery.report)
        .map((outcome): WebhookOutcome => outcome.kind)
        .orElse((error) => (FINAL_REFUSALS.has(error.code) ? okAsync<WebhookOutcome, DomainError>('ignored') : errAsync(error)))
        .andThen((outcome) =>
          deps.uow
            .transaction((repos) => repos.webhookDeliveries.recordOnce(delivery.deliveryId, deps.clock.now()))
            .map((first): WebhookOutcome => (first ? outcome : 'duplicate')),
        );
    });
}
