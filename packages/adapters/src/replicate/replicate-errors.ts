import { domainError, transientError, type TrainerError } from '@selfie-lora/core';

/** The HTTP status of a `replicate` client `ApiError` (the class is not exported at runtime). */
export function httpStatusOf(cause: unknown): number | null {
  if (!(cause instanceof Error) || !('response' in cause)) return null;
  const response = (cause as { response: unknown }).response;
  return response instanceof Response ? response.status : null;
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
    return status === 429 || status === 408 || status >= 500
      ? transientError('trainer.unavailable', detail)
      : domainError('trainer.rejected', detail);
  }
  if (cause instanceof SyntaxError) return domainError('trainer.invalid_response', detail);
  return transientError('trainer.unavailable', detail);
}
