import { Webhook } from 'standardwebhooks';
import type { MemoryCore } from '@selfie-lora/adapters/memory';
import type { TrainerReport } from '@selfie-lora/core';
import type { WebhookVerifier } from '../../src/index.js';
// The real verifier the service uses; imported from its file until the adapters' index exports it.
import { verifyReplicateWebhook } from '@selfie-lora/adapters/replicate';

export const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

/** What the composition root wires: the Replicate verifier at the core's clock, with messages for people. */
export function replicateVerifier(core: MemoryCore): WebhookVerifier {
  return ({ headers, rawBody }) =>
    verifyReplicateWebhook({ headers, rawBody, secret: WEBHOOK_SECRET, now: core.clock.now() })
      .map(({ deliveryId, report }) => ({ deliveryId, report }))
      .mapErr((error) => ({ code: error.code, message: 'This webhook delivery was refused.' }));
}

/** The body Replicate sends about a training, as JSON text. */
export function replicateBody(report: TrainerReport, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: report.trainerTrainingId,
    status: report.status,
    created_at: '2026-01-01T00:00:00.000Z',
    destination: report.destination ? `${report.destination.owner}/${report.destination.name}` : null,
    output: report.outputVersion ? { version: report.outputVersion, weights: 'https://example.invalid/weights.tar' } : null,
    error: report.error,
    ...overrides,
  });
}

/** Standard Webhooks headers for `body`, signed with `secret` at `sentAt`. */
export function signed(body: string, options: { id: string; sentAt: Date; secret?: string }): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': options.id,
    'webhook-timestamp': String(Math.floor(options.sentAt.getTime() / 1000)),
    'webhook-signature': new Webhook(options.secret ?? WEBHOOK_SECRET).sign(options.id, options.sentAt, body),
  };
}
