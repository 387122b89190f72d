// In-memory adapters and the whole core wired to them (`@selfie-lora/adapters/memory`): for fast
// tests and dry runs. Loads no SDK, driver or ORM; sharp only when a photo is first inspected.
export * from './fault-plan.js';
export * from './manual-clock.js';
export * from './sequential-id-source.js';
export * from './recording-event-log.js';
export * from './memory-object-store.js';
export * from './memory-database.js';
export * from './memory-packager.js';
export * from './memory-trainer.js';
export * from './memory-core.js';
export * from './memory-pipeline-leases.js';
export * from './memory-rate-limiter.js';
export type { RateLimit, RateLimitAnswer, RateLimiter } from '../rate-limits/rate-limiter.js';
export * from './fake-face-inspector.js';
