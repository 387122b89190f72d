// PostgreSQL persistence: the core's UnitOfWork and repositories, with the schema and migrations
// that enforce the isolation invariants. TypeORM stays inside this folder.
export { createPostgresDatabase, PostgresDatabase, postgresMigrations, type PostgresOptions } from './postgres-database.js';
export { persistenceError } from './postgres-errors.js';
export { PostgresPipelineLeases, type PipelineLeasesOptions } from './pipeline-leases.js';
export { PostgresRateLimiter, type RateLimiterOptions } from './postgres-rate-limiter.js';
