export { ReplicateTrainer } from './replicate-trainer.js';
export type { ReplicateTrainerConfig, WebhookEventType } from './replicate-trainer.js';
export { verifyReplicateWebhook } from './replicate-webhook.js';
export type { ReplicateWebhookInput, VerifiedWebhook, WebhookError, WebhookErrorCode } from './replicate-webhook.js';
export { toTrainerReport, trainingSchema } from './replicate-schemas.js';
