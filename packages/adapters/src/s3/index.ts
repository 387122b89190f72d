// S3 adapters: the object store and the ZIP packager over one bucket, plus a local S3 server.
export * from './s3-bucket.js';
export * from './s3-object-store.js';
export * from './s3-packager.js';
export * from './local-s3-server.js';
export type { UploadTuning } from './s3-upload.js';
export type { ListTuning } from './s3-listing.js';
