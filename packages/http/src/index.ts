// The HTTP shell: routes, auth, webhooks. The worker and composition root live elsewhere.
export { buildHttpApp } from './app.js';
export { errorStatus } from './error-status.js';
export type { HttpAppOptions, ReadinessCheck, WebhookRefusal, WebhookVerifier } from './options.js';
export type { Problem } from './problem.js';
