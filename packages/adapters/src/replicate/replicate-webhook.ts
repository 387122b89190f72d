import { err, type Result } from 'neverthrow';
import { timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { TrainerReport } from '@selfie-lora/core';
import { parseWith, toTrainerReport, trainingSchema } from './replicate-schemas.js';

export type WebhookErrorCode = 'webhook.malformed' | 'webhook.bad_signature' | 'webhook.stale' | 'webhook.misconfigured';

export interface WebhookError {
  readonly code: WebhookErrorCode;
  /** For logs; never echo it to the sender. */
  readonly detail: string;
}

export interface VerifiedWebhook {
  /** `webhook-id`: the same on every redelivery, the key for replay protection (recordOnce). */
  readonly deliveryId: string;
  readonly sentAt: Date;
  readonly report: TrainerReport;
}

export interface ReplicateWebhookInput {
  readonly headers: Headers | Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Exactly the bytes received: a re-serialised body would not match its signature. */
  readonly rawBody: string | Uint8Array;
  /** `whsec_...`, from Replicate's `GET /v1/webhooks/default/secret`. */
  readonly secret: string;
  readonly now: Date;
  readonly toleranceSeconds?: number;
}

const SIGNATURE_BYTES = 32;

function failure(code: WebhookErrorCode, detail: string): Result<never, WebhookError> {
  return err({ code, detail });
}

function header(headers: ReplicateWebhookInput['headers'], name: string): string | null {
  if (headers instanceof Headers) return headers.get(name);
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  const value: unknown = entry?.[1];
  if (typeof value === 'string') return value;
  return Array.isArray(value) && value.length === 1 && typeof value[0] === 'string' ? value[0] : null;
}

function signatureMatches(passed: string, expected: Buffer): boolean {
  // `v1,<base64>` entries separated by spaces; one matching v1 signature is enough.
  return passed.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    if (version !== 'v1' || signature === undefined) return false;
    const candidate = Buffer.from(signature, 'base64');
    return candidate.length === expected.length && timingSafeEqual(candidate, expected);
  });
}

/**
 * Verifies a Replicate webhook (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
 * `webhook-signature`, HMAC-SHA256 with a `whsec_` secret) over the raw body, with a
 * constant-time comparison and a tolerance checked against the injected `now` (the
 * `standardwebhooks` verifier reads the wall clock, so only its signer is used here). The
 * signature is checked before the age, so only authentic deliveries are ever called stale.
 */
export function verifyReplicateWebhook(input: ReplicateWebhookInput): Result<VerifiedWebhook, WebhookError> {
  const tolerance = input.toleranceSeconds ?? 300;
  if (!input.secret.startsWith('whsec_')) return failure('webhook.misconfigured', 'the webhook secret must start with whsec_');
  let signer: Webhook;
  try {
    signer = new Webhook(input.secret);
  } catch (cause) {
    return failure('webhook.misconfigured', `unusable webhook secret: ${String(cause)}`);
  }

  const id = header(input.headers, 'webhook-id');
  const timestampText = header(input.headers, 'webhook-timestamp');
  const signature = header(input.headers, 'webhook-signature');
  if (!id || !timestampText || !signature) return failure('webhook.malformed', 'missing webhook-id, webhook-timestamp or webhook-signature');
  if (!/^\d{1,12}$/.test(timestampText)) return failure('webhook.malformed', 'webhook-timestamp is not unix seconds');

  let body: string;
  try {
    body = typeof input.rawBody === 'string' ? input.rawBody : new TextDecoder('utf-8', { fatal: true }).decode(input.rawBody);
  } catch {
    return failure('webhook.malformed', 'body is not UTF-8');
  }
  const sentAt = new Date(Number(timestampText) * 1000);
  const expected = Buffer.from(signer.sign(id, sentAt, body).slice('v1,'.length), 'base64');
  if (expected.length !== SIGNATURE_BYTES || !signatureMatches(signature, expected)) {
    return failure('webhook.bad_signature', 'no matching v1 signature');
  }
  const ageSeconds = (input.now.getTime() - sentAt.getTime()) / 1000;
  if (Math.abs(ageSeconds) > tolerance) return failure('webhook.stale', `timestamp is ${Math.round(ageSeconds)} s from now`);

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return failure('webhook.malformed', 'body is not JSON');
  }
  return parseWith(trainingSchema, json, 'webhook body')
    .andThen(toTrainerReport)
    .map((report) => ({ deliveryId: id, sentAt, report }))
    .mapErr((error) => ({ code: 'webhook.malformed' as const, detail: error.detail ?? error.message }));
}
