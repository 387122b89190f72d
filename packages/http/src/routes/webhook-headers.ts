import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '@selfie-lora/core';
import { problem, sendProblem } from '../problem.js';

/** Standard Webhooks' tolerance, the same the verifier applies after the signature (SPEC.md: 5 minutes). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
};

/**
 * An `onRequest` hook for the webhook route: a delivery without the three Standard Webhooks
 * headers, or with a timestamp outside the tolerance, is refused before its body (up to many
 * MiB of training log) is read. The verifier still checks everything again over the body.
 */
export function refuseUnsignedOrStale(clock: Clock) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const timestamp = header(request, 'webhook-timestamp');
    if (!header(request, 'webhook-id') || !header(request, 'webhook-signature') || timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
      request.log.warn({ code: 'webhook.malformed' }, 'webhook refused before its body');
      return sendProblem(reply, problem(400, 'webhook.malformed', 'The webhook is not a well-formed, signed training report.'));
    }
    const ageSeconds = clock.now().getTime() / 1000 - Number(timestamp);
    if (Math.abs(ageSeconds) > WEBHOOK_TOLERANCE_SECONDS) {
      request.log.warn({ code: 'webhook.stale', ageSeconds: Math.round(ageSeconds) }, 'webhook refused before its body');
      return sendProblem(reply, problem(401, 'webhook.stale', 'The webhook timestamp is outside the accepted window.'));
    }
    return undefined;
  };
}
