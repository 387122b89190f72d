import type { Result } from 'neverthrow';
import type { Clock, TrainerReport } from '@selfie-lora/core';
import type { ReplicateWebhookInput, VerifiedWebhook, WebhookError, WebhookErrorCode } from '../replicate/index.js';

/** The shape the HTTP shell's `verifyWebhook` option takes (packages/http/src/options.ts). */
export type ServiceWebhookVerifier = (input: {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: string;
}) => Result<{ readonly deliveryId: string; readonly report: TrainerReport }, { readonly code: string; readonly message: string }>;

/** What a refused sender may be told; the verifier's `detail` stays in our logs. */
const MESSAGES: Readonly<Record<WebhookErrorCode, string>> = {
  'webhook.malformed': 'The webhook is not a well-formed, signed training report.',
  'webhook.bad_signature': 'The webhook signature does not match.',
  'webhook.stale': 'The webhook timestamp is outside the accepted window.',
  'webhook.misconfigured': 'Webhook verification is not configured correctly on this server.',
};

/** `verifyReplicateWebhook` bound to the configured secret and the service clock. */
export function webhookVerifier(
  secret: string,
  clock: Clock,
  verify: (input: ReplicateWebhookInput) => Result<VerifiedWebhook, WebhookError>,
): ServiceWebhookVerifier {
  return ({ headers, rawBody }) =>
    verify({ headers, rawBody, secret, now: clock.now() })
      .map(({ deliveryId, report }) => ({ deliveryId, report }))
      .mapErr((error) => ({ code: error.code, message: MESSAGES[error.code] }));
}
