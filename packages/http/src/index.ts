// The HTTP shell (routes, auth, webhooks) and the background worker. Start-up lives in main.ts.
export { buildHttpApp } from './app.js';
export { AUDIT_USAGE, parseAuditArgs, runAuditCommand, type AuditOptions, type AuditRun } from './audit/audit-command.js';
export type { TokenBinding } from './auth.js';
export { errorStatus } from './error-status.js';
export type { HttpAppOptions, ReadinessCheck, WebhookRefusal, WebhookVerifier } from './options.js';
export type { Problem } from './problem.js';
export { backgroundJobs, startWorker, type ScheduledJob, type Worker, type WorkerOptions } from './worker/index.js';
