import { domainError, transientError, type StoreError } from '@selfie-lora/core';

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: unknown;
}

const THROTTLING = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'InternalError', 'ServiceUnavailable', 'AbortError']);

function shape(cause: unknown): SdkErrorShape {
  return typeof cause === 'object' && cause !== null ? cause : {};
}

function summary(cause: unknown): string {
  const error = shape(cause);
  const status = error.$metadata?.httpStatusCode;
  const name = typeof error.name === 'string' ? error.name : 'Error';
  const message = typeof error.message === 'string' ? error.message : String(cause);
  return `${name}${status ? ` (HTTP ${status})` : ''}: ${message}`;
}

/** The object (not the bucket) is absent. A missing bucket is a misconfiguration, not "no object". */
export function isMissingObject(cause: unknown): boolean {
  const name = shape(cause).name;
  return name === 'NoSuchKey' || name === 'NotFound';
}

/**
 * Network trouble, 5xx, throttling, timeouts and a changed object are transient (the step runner
 * retries them); anything else (403, missing bucket, bad request) is a permanent storage failure.
 */
export function isTransient(cause: unknown): boolean {
  const error = shape(cause);
  const status = error.$metadata?.httpStatusCode;
  const name = typeof error.name === 'string' ? error.name : '';
  if (status === undefined) return true; // no HTTP answer at all: connection refused, reset, DNS
  if (status >= 500 || status === 429 || status === 408) return true;
  // 412: the object changed under an If-Match read (a read-back pinned to one ETag); read it again.
  if (status === 412) return true;
  return THROTTLING.has(name) || TRANSIENT_NAMES.has(name) || Boolean(error.$retryable);
}

export function storeError(cause: unknown, operation: string): StoreError {
  const detail = `${operation}: ${summary(cause)}`;
  return isTransient(cause) ? transientError('storage.unavailable', detail) : domainError('storage.unavailable', detail);
}
