import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { z } from 'zod';
import { applyTrainerReport, type DomainError, type ErrorCode, type TrainerReport } from '@selfie-lora/core';
import { domainErrorReply, problem, problemReply, shellProblem } from '../problem.js';
import { problemResponses } from '../schemas.js';
import type { App, RouteContext } from './context.js';

/** Trainer payloads carry logs, so they may be larger than the JSON we accept from clients. */
const WEBHOOK_BODY_LIMIT = 2 * 1024 * 1024;

type Outcome = 'applied' | 'unchanged' | 'ignored' | 'duplicate';

/**
 * Reports the core refuses to apply (unknown training, wrong destination, unreadable) are logged
 * by the core and acknowledged here, so the trainer stops retrying them: retrying cannot help.
 */
const IGNORED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'trainer.unknown_training',
  'trainer.invalid_response',
  'trainer.destination_mismatch',
]);

/**
 * Statuses for the verifier's refusals (the codes of `verifyReplicateWebhook` in the adapters): a
 * payload that is not a training is a bad request, a secret we cannot use is ours to fix, and any
 * other refusal (bad signature, stale, unknown code) is unauthenticated.
 */
const REFUSAL_STATUS: Readonly<Record<string, number>> = {
  'webhook.malformed': 400,
  'webhook.bad_signature': 401,
  'webhook.stale': 401,
  'webhook.misconfigured': 503,
};

function refusalStatus(code: string): number {
  return REFUSAL_STATUS[code] ?? 401;
}

function headersOf(raw: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(raw)) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}

function deliver(route: RouteContext, deliveryId: string, report: TrainerReport): ResultAsync<Outcome, DomainError> {
  const { deps } = route;
  return deps.uow
    .transaction((repos) => repos.webhookDeliveries.recordOnce(deliveryId, deps.clock.now()))
    .andThen((first): ResultAsync<Outcome, DomainError> => {
      if (!first) return okAsync('duplicate');
      return applyTrainerReport(deps, report)
        .map((outcome): Outcome => outcome.kind)
        .orElse((error) => (IGNORED.has(error.code) ? okAsync<Outcome, DomainError>('ignored') : errAsync(error)));
    });
}

export function webhookRoutes(app: App, route: RouteContext): void {
  // Its own scope: the signature is over the exact bytes sent, so this route gets the raw body.
  void app.register((scope: App, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, parsed) => {
      parsed(null, body);
    });
    scope.post(
      '/v1/webhooks/replicate',
      {
        bodyLimit: WEBHOOK_BODY_LIMIT,
        schema: {
          tags: ['webhooks'],
          summary:
            'Replicate webhook (Standard Webhooks signature over the raw body); stale, forged or replayed deliveries are refused, a redelivery is a no-op',
          headers: z.looseObject({
            'webhook-id': z.string().optional(),
            'webhook-timestamp': z.string().optional(),
            'webhook-signature': z.string().optional(),
          }),
          response: {
            200: z.object({ outcome: z.enum(['applied', 'unchanged', 'ignored', 'duplicate']), ignored: z.boolean() }),
            ...problemResponses,
          },
        },
      },
      (request, reply) => {
        const verify = route.options.verifyWebhook;
        if (!verify) return problemReply(reply, shellProblem('service.not_ready', 'Webhooks are not configured on this server.'));
        const rawBody = typeof request.body === 'string' ? request.body : '';
        return verify({ headers: headersOf(request.headers), rawBody }).match(
          ({ deliveryId, report }) =>
            deliver(route, deliveryId, report).match(
              (outcome) => ({ outcome, ignored: outcome === 'ignored' }),
              (error) => domainErrorReply(reply, error),
            ),
          (refusal) => {
            request.log.warn({ code: refusal.code }, 'webhook refused');
            return problemReply(reply, problem(refusalStatus(refusal.code), refusal.code, refusal.message));
          },
        );
      },
    );
    done();
  });
}
