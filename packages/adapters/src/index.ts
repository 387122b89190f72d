// Adapters for the core's ports. In-memory ones serve fast tests and dry runs; Postgres, S3
// and Replicate are the real ones. Each group is also a subpath export (`/memory`, `/postgres`,
// `/s3`, `/replicate`, `/composition`) for importers that need only that group: this barrel
// loads sharp, the AWS SDK and TypeORM. The dev stand-ins are in `@selfie-lora/local-stack`.
export * from './images/sharp-image-inspector.js';
export * from './images/image-work-queue.js';
export * from './images/sharp-photo-normaliser.js';
export * from './images/heic-decoder.js';
export * from './faces/human-face-inspector.js';
export * from './system/system-clock.js';
export * from './system/random-id-source.js';
export * from './system/operator-log.js';
export * from './memory/index.js';
export * from './postgres/index.js';
export * from './s3/index.js';
export * from './replicate/index.js';
export * from './composition/index.js';
