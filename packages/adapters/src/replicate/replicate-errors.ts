import { domainError, transientError, type TrainerError } from '@selfie-lora/core';
import { z } from 'zod';

/** The HTTP response of a `replicate` client `ApiError` (the class is not exported at runtime). */
function responseOf(cause: unknown): Response | null {
  if (!(cause instanceof Error) || !('response' in cause)) return null;
  const response = (cause as { response: unknown }).response;
  return response instanceof Response ? response : null;
}

/** The HTTP status of a `replicate` client `ApiError`. */
export function httpStatusOf(cause: unknown): number | null {
  return responseOf(cause)?.status ?? null;
}

/** `Retry-After` as delta-seconds (Replicate's form) or an HTTP date; anything else is ignored. */
const retryAfterHeader = z.union([
  z.string().regex(/^\d{1,9}$/).transform(Number),
  z
    .string()
    .transform((value) => Date.parse(value))
    .refine((when) => Number.isFinite(when))
    .transform((when) => Math.ceil((when - Date.now()) / 1000)),
]);

/** Seconds a 429 asked us to wait, from its `Retry-After` header, when it gave a usable one. */
export function retryAfterSecondsOf(cause: unknown): number | undefined {
  const response = responseOf(cause);
  if (response?.status !== 429) return undefined;
  const parsed = retryAfterHeader.safeParse(response.headers.get('retry-after') ?? undefined);
  return parsed.success && parsed.data > 0 ? parsed.data : undefined;
}

function describe(cause: unknown): string {
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

/**
 * 429, 5xx, timeouts and network failures are transport trouble the step runner retries; other
 * 4xx are refusals; a body that is not JSON is an answer we cannot trust.
 */
export function classifyTrainerFailure(cause: unknown, context: string): TrainerError {
  const detail = `${context}: ${describe(cause)}`;
  const status = httpStatusOf(cause);
  if (status !== null) {
    if (status === 429) {
      const retryAfterSeconds = retryAfterSecondsOf(cause);
      return retryAfterSeconds === undefined ? transientError('trainer.unavailable', detail) : { ...transientError('trainer.unavailable', detail), retryAfterSeconds };
    }
    return status === 408 || status >= 500 ? transientError('trainer.unavailable', detail) : domainError('trainer.rejected', detail);
  }
  if (cause instanceof SyntaxError) return domainError('trainer.invalid_response', detail);
  return transientError('trainer.unavailable', detail);
}
