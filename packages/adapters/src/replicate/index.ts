export { ReplicateTrainer } from './replicate-trainer.js';
export type { ReplicateTrainerConfig, WebhookEventType } from './replicate-trainer.js';
export { verifyReplicateWebhook } from './replicate-webhook.js';
export type { ReplicateWebhookInput, VerifiedWebhook, WebhookError, WebhookErrorCode } from './replicate-webhook.js';
export { toTrainerReport, trainingSchema } from './replicate-schemas.js';
export { ReplicateCallGate, REPLICATE_CALLS_PER_MINUTE, REPLICATE_CREATE_PER_MINUTE } from './replicate-rate-limits.js';
export type { ReplicateRateLimits } from './replicate-rate-limits.js';
export type { RateLimit, RateLimitAnswer, RateLimiter } from '../rate-limits/rate-limiter.js';
