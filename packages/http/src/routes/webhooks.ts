import { z } from 'zod';
import { acceptTrainerWebhook } from '@selfie-lora/core';
import { domainErrorReply, problem, problemReply, shellProblem } from '../problem.js';
import { problemResponses } from '../schemas.js';
import type { App, RouteContext } from './context.js';
import { refuseUnsignedOrStale } from './webhook-headers.js';

/**
 * Replicate's webhooks carry the whole training log: a long run's is several MiB, and a refused
 * `completed` delivery loses the fast path for exactly the long trainings. This route only.
 */
const WEBHOOK_BODY_LIMIT = 16 * 1024 * 1024;

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
        // Unconfigured, every delivery is 503 (below), whatever its headers.
        onRequest: route.options.verifyWebhook ? [refuseUnsignedOrStale(route.deps.clock)] : [],
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
            acceptTrainerWebhook(route.deps, { deliveryId, report }).match(
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
