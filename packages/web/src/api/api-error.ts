import { problemSchema, type Problem } from './schemas.js';

/** A refusal or failure, always with words for a person (the server's problem+json `detail`). */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = 'ApiError';
  }
}

/** The server's problem+json as an ApiError; anything else (a proxy's HTML page, no body) as words of our own. */
export function errorFromAnswer(status: number, text: string): ApiError {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: described below
  }
  const problem = problemSchema.safeParse(parsed);
  if (problem.success) return new ApiError(problem.data);
  return new ApiError({
    status,
    code: status === 0 ? 'network.failed' : 'answer.unreadable',
    detail:
      status === 0
        ? 'The connection to the service failed. Please check your connection and try again.'
        : `The service answered in a way this page does not understand (HTTP ${status}). Please try again.`,
  });
}

export function unexpectedAnswer(what: string): ApiError {
  return new ApiError({
    status: 0,
    code: 'answer.unexpected',
    detail: `The service's answer about ${what} was not in the expected form. Please reload the page.`,
  });
}
