import { DEFAULT_PACKAGE_URL_TTL_SECONDS, defaultPhotoCheckPolicy, defaultRetryPolicy, type AuditPolicy, type CoreConfig, type DestinationStrategy, type QuotaPolicy, type UploadPolicy } from '@selfie-lora/core';
import type { ImageWorkLimits } from '../images/image-work-queue.js';
import type { Env } from './service-config.js';

/** Where trainings write their versions: one model per owner, or one shared model (SPEC.md). */
export function destinationStrategyFrom(env: Env, account: string): DestinationStrategy {
  return env.REPLICATE_DESTINATION_STRATEGY === 'shared'
    ? { kind: 'shared', account, model: env.REPLICATE_SHARED_MODEL ?? 'selfie-lora' }
    : { kind: 'per-owner', account };
}

/** The largest photo and its smallest dimensions (UPLOAD_*; the multipart limit follows maxBytes). */
export function uploadPolicyFrom(env: Env): UploadPolicy {
  return { maxBytes: env.UPLOAD_MAX_BYTES, minWidth: env.UPLOAD_MIN_WIDTH, minHeight: env.UPLOAD_MIN_HEIGHT };
}

/** How much image work runs at once and waits, and the pixel limit read from headers (IMAGE_*). */
export function imageLimitsFrom(env: Env): { readonly maxPixels: number; readonly work: ImageWorkLimits } {
  return { maxPixels: env.IMAGE_MAX_PIXELS, work: { concurrency: env.IMAGE_CONCURRENCY, maxWaiting: env.IMAGE_QUEUE_MAX } };
}

/** Per-owner quotas (QUOTA_*; docs/security.md "Quotas"). */
export function quotaPolicyFrom(env: Env): QuotaPolicy {
  return { trainingsPerDay: env.QUOTA_TRAININGS_PER_DAY, maxStoredPhotos: env.QUOTA_STORED_PHOTOS, maxStoredBytes: env.QUOTA_STORED_BYTES, maxOpenSlots: env.QUOTA_OPEN_UPLOAD_SLOTS };
}

export function coreConfigFrom(env: Env, account: string): CoreConfig {
  return {
    uploadPolicy: uploadPolicyFrom(env),
    minPhotos: env.TRAINING_MIN_PHOTOS,
    destinationStrategy: destinationStrategyFrom(env, account),
    retryPolicy: defaultRetryPolicy,
    packageUrlTtlSeconds: DEFAULT_PACKAGE_URL_TTL_SECONDS,
    photoChecks: defaultPhotoCheckPolicy,
    maxTrainingPhotos: env.TRAINING_MAX_PHOTOS,
    checkPhotosAfterAnswer: env.PHOTO_CHECKS_AFTER_ANSWER === 'on',
    quotas: quotaPolicyFrom(env),
  };
}

/** The audit's thresholds, and the webhook URL our trainings report to (null when none is configured). */
export function auditPolicyFrom(env: Env, webhookUrl: string | null): AuditPolicy {
  return {
    stuckAfterMs: env.AUDIT_STUCK_AFTER_MINUTES * 60_000,
    graceMs: env.AUDIT_GRACE_MINUTES * 60_000,
    webhookUrl,
  };
}
