import type { RateLimitPluginOptions } from '@fastify/rate-limit';

/** At most `max` requests per client address in each `windowMs` (docs/security.md "Rate limit"). */
export interface RateLimit {
  readonly max: number;
  readonly windowMs: number;
}

/** An error the app's error handler answers as 429 `rate_limit.exceeded`; the plugin has set `Retry-After`. */
class RateLimited extends Error {
  readonly statusCode = 429;
  readonly code = 'RATE_LIMITED';
}

/**
 * One budget per client address for every route, kept in process memory (several processes
 * behind a balancer each keep their own). The quotas per owner bound what costs money; this
 * bounds how fast anyone can knock, signed in or not.
 */
export function rateLimitOptions(limit: RateLimit): RateLimitPluginOptions {
  return {
    global: true,
    max: limit.max,
    timeWindow: limit.windowMs,
    errorResponseBuilder: (_request, context) => new RateLimited(`more than ${context.max} requests in ${context.after}`),
  };
}
