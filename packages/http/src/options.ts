import type { FastifyBaseLogger } from 'fastify';
import type { Result } from 'neverthrow';
import type { AuditPolicy, CoreDeps, TrainerReport } from '@selfie-lora/core';
import type { TokenBinding } from './auth.js';
import type { RateLimit } from './rate-limit.js';
import type { EventsLimits } from './routes/training-events.js';
import type { WebAppOptions } from './routes/web-app.js';
import type { ServerTimeouts } from './server-timeouts.js';

export interface WebhookRefusal {
  readonly code: string;
  readonly message: string;
}

/** Verifies a trainer webhook over its raw body and headers, and reads the report it carries. */
export type WebhookVerifier = (input: {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: string;
}) => Result<{ readonly deliveryId: string; readonly report: TrainerReport }, WebhookRefusal>;

export type ReadinessCheck = () => Promise<Result<void, { readonly code: string; readonly message: string }>>;

export interface HttpAppOptions {
  readonly deps: CoreDeps;
  /** The secret owners' JWTs are signed with, and what they must be bound to (issuer, audience, lifetime). */
  readonly auth: TokenBinding;
  /** Bearer token of operator routes (`/v1/admin/*`). */
  readonly adminToken: string;
  /** Without one, the webhook route answers 503: nothing unverified is ever applied. */
  readonly verifyWebhook?: WebhookVerifier;
  /** Checks the database and object storage; without one, `/readyz` answers ready. */
  readonly readiness?: ReadinessCheck;
  /** Thresholds and our webhook URL for `GET /v1/admin/audit` (default: `defaultAuditPolicy`). */
  readonly auditPolicy?: AuditPolicy;
  /** The operator's structured logger (the container's), or true/false for Fastify's own. */
  readonly logger?: boolean | FastifyBaseLogger;
  /** Requests per client address and window, answered 429 `rate_limit.exceeded` past it; absent, none (`npm start` sets one). */
  readonly rateLimit?: RateLimit;
  /** Origins (`https://app.example`) whose pages may call this API; none by default: same-origin only. */
  readonly corsAllowedOrigins?: readonly string[];
  /** How long a client may take to send a request, or stay silent (default `DEFAULT_SERVER_TIMEOUTS`). */
  readonly timeouts?: ServerTimeouts;
  /** Called after a training was accepted (202), so an in-process worker starts on it at once. */
  readonly onTrainingAccepted?: () => void;
  /** How often the events stream re-reads a training (default 1000 ms). */
  readonly eventsPollIntervalMs?: number;
  /** A comment line is sent after this long without an event, so proxies keep the stream open. */
  readonly eventsHeartbeatMs?: number;
  /** Open events streams per owner (429 `events.too_many_streams` past it) and each stream's lifetime. */
  readonly eventsLimits?: Partial<EventsLimits>;
  /** The browser client at `/`, `/app-config.json` and the demo sign-in; absent, the shell serves the API only. */
  readonly webApp?: WebAppOptions;
}
