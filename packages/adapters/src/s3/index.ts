// S3 adapters: the object store and the ZIP packager over one bucket (the local S3 server for
// tests and `npm start` is in @selfie-lora/local-stack).
export * from './s3-bucket.js';
export * from './s3-object-store.js';
export * from './s3-packager.js';
export type { UploadTuning } from './s3-upload.js';
export type { ListTuning } from './s3-listing.js';
