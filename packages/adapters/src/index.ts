// Adapters for the core's ports. In-memory ones serve fast tests and dry runs; Postgres, S3
// and Replicate are the real ones.
export * from './images/sharp-image-inspector.js';
export * from './system/system-clock.js';
export * from './system/random-id-source.js';
export * from './system/operator-log.js';
export * from './memory/fault-plan.js';
export * from './memory/manual-clock.js';
export * from './memory/sequential-id-source.js';
export * from './memory/recording-event-log.js';
export * from './memory/memory-object-store.js';
export * from './memory/memory-database.js';
export * from './memory/memory-packager.js';
export * from './memory/memory-trainer.js';
export * from './memory/memory-core.js';
export * from './memory/memory-pipeline-leases.js';
export * from './postgres/index.js';
export * from './s3/index.js';
export * from './replicate/index.js';
export * from './composition/service-config.js';
export * from './composition/service-container.js';
