// Dev and test stand-ins for the real services: a local S3-compatible server, an embedded
// PostgreSQL, and `startEmbeddedServices`, which `npm start` loads (dynamically, only when a
// service is unconfigured) to fill in every unset service. Production code never imports this.
export { startLocalS3, type LocalS3, type LocalS3Options } from './s3/local-s3-server.js';
export { startEmbeddedPostgres, type EmbeddedPostgresOptions, type RunningPostgres } from './postgres/embedded-postgres.js';
export { startEmbeddedServices, type EmbeddedOptions, type ResolvedServices } from './embedded-services.js';
export { freePort } from './free-port.js';
export type { StandInFailure } from './stand-in-failure.js';
