import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { DomainError, ErrorCode } from '@selfie-lora/core';
import { errorStatus } from './error-status.js';

/** RFC 9457 problem details, with our stable machine `code`. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  /** Written for the end user. */
  readonly detail: string;
  readonly code: string;
}

/** Failures of the shell itself (not of a use case): their codes are as stable as the core's. */
const shellProblems = {
  'request.invalid': [400, 'The request is not valid. Please check what was sent.'],
  'request.too_large': [413, 'The request body is too large.'],
  'request.unsupported_media_type': [415, 'This content type is not accepted here.'],
  'route.not_found': [404, 'There is nothing at this address.'],
  'auth.missing_token': [401, 'Please sign in: this request needs a bearer token.'],
  'auth.invalid_token': [401, 'Your sign-in is not valid or has expired. Please sign in again.'],
  'rate_limit.exceeded': [429, 'Too many requests from this address. Please wait a moment and try again.'],
  'service.not_ready': [503, 'The service is not ready yet. Please try again shortly.'],
  'web.not_built': [503, 'The web app has not been built yet: run `npm run build:web` (or `npm start`, which builds it), then reload this page.'],
  internal: [500, 'Something went wrong on our side. Please try again later.'],
} as const satisfies Record<string, readonly [number, string]>;

export type ShellProblemCode = keyof typeof shellProblems;

export function problem(status: number, code: string, detail: string): Problem {
  return { type: `urn:selfie-lora:problem:${code}`, title: STATUS_CODES[status] ?? 'Error', status, detail, code };
}

export function shellProblem(code: ShellProblemCode, detail?: string): Problem {
  const [status, message] = shellProblems[code];
  return problem(status, code, detail ?? message);
}

/** A core failure: its status from the table, its user-facing message as the detail. */
export function domainProblem(error: { readonly code: ErrorCode; readonly message: string }): Problem {
  return problem(errorStatus[error.code], error.code, error.message);
}

/** Sets the reply up for `body` and returns it, for a handler to return. */
export function problemReply(reply: FastifyReply, body: Problem): Problem {
  reply.code(body.status).type('application/problem+json');
  return body;
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.send(problemReply(reply, body));
}

/** The core's failure as a problem; its technical `detail` goes to the log, never to the client. */
export function domainErrorReply(reply: FastifyReply, error: DomainError): Problem {
  const body = domainProblem(error);
  // A quota names when it frees up; a full image line is likely to take the same request in a moment.
  const retryAfter = error.retryAfterSeconds ?? (error.code === 'upload.busy' ? 2 : undefined);
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  if (body.status >= 500) reply.log.warn({ code: error.code, detail: error.detail }, 'use case failed');
  else reply.log.info({ code: error.code, detail: error.detail }, 'request refused');
  return problemReply(reply, body);
}
