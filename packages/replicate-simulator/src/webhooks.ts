import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';

export interface WebhookAttempt {
  readonly webhookId: string;
  /** 0 for the first delivery, then 1, 2, ... for redeliveries. */
  readonly attempt: number;
  /** Unix seconds, as sent in `webhook-timestamp`. */
  readonly timestamp: number;
  /** The receiver's status, or null when it could not be reached (or the webhook was lost). */
  readonly status: number | null;
  readonly lost: boolean;
  readonly body: string;
}

export interface WebhookMessage {
  readonly webhookId: string;
  readonly url: string;
  readonly body: string;
}

export function newWebhookMessage(url: string, payload: unknown): WebhookMessage {
  return { webhookId: `msg_${randomBytes(12).toString('hex')}`, url, body: JSON.stringify(payload) };
}

/** Signs and POSTs Standard Webhooks messages (what Replicate sends), retrying on non-2xx. */
export class WebhookSender {
  private readonly signer: Webhook;
  private readonly abort = new AbortController();

  constructor(
    secret: string,
    private readonly now: () => Date,
  ) {
    this.signer = new Webhook(secret);
  }

  /** Every attempt is recorded through `record`; resolves when delivered or out of retries. */
  async deliver(
    message: WebhookMessage,
    options: { readonly retries: number; readonly backoffMs: number; readonly lost: boolean },
    record: (attempt: WebhookAttempt) => void,
  ): Promise<void> {
    for (let attempt = 0; attempt <= options.retries; attempt += 1) {
      if (this.abort.signal.aborted) return;
      const sentAt = this.now();
      const timestamp = Math.floor(sentAt.getTime() / 1000);
      if (options.lost) {
        record({ webhookId: message.webhookId, attempt, timestamp, status: null, lost: true, body: message.body });
        return;
      }
      const status = await this.post(message, sentAt);
      record({ webhookId: message.webhookId, attempt, timestamp, status, lost: false, body: message.body });
      if (status !== null && status >= 200 && status < 300) return;
      if (attempt < options.retries) {
        await sleep(options.backoffMs * 2 ** attempt, undefined, { signal: this.abort.signal }).catch(() => undefined);
      }
    }
  }

  private async post(message: WebhookMessage, sentAt: Date): Promise<number | null> {
    try {
      const response = await fetch(message.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': message.webhookId,
          'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
          'webhook-signature': this.signer.sign(message.webhookId, sentAt, message.body),
        },
        body: message.body,
        redirect: 'manual', // Replicate does not follow redirects for webhooks.
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(5_000)]),
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return null;
    }
  }

  close(): void {
    this.abort.abort();
  }
}
