import type { Env } from '@selfie-lora/adapters';
import type { TokenBinding } from '../auth.js';
import type { HttpAppOptions } from '../options.js';

/** What owners' tokens must carry, from AUTH_JWT_* (docs/security.md "Tokens"). */
export function tokenBindingFrom(env: Env, jwtSecret: string): TokenBinding {
  return {
    jwtSecret,
    issuer: env.AUTH_JWT_ISSUER,
    audience: env.AUTH_JWT_AUDIENCE,
    maxLifetimeSeconds: env.AUTH_JWT_MAX_LIFETIME_SECONDS,
    clockSkewSeconds: env.AUTH_JWT_CLOCK_SKEW_SECONDS,
  };
}

/** The shell's limits and policies from the validated environment (docs/security.md lists each). */
export function httpSettingsFrom(env: Env, jwtSecret: string): Pick<HttpAppOptions, 'auth' | 'timeouts' | 'rateLimit' | 'corsAllowedOrigins' | 'eventsLimits'> {
  return {
    auth: tokenBindingFrom(env, jwtSecret),
    corsAllowedOrigins: env.CORS_ALLOWED_ORIGINS,
    eventsLimits: { maxStreamsPerOwner: env.EVENTS_MAX_STREAMS_PER_OWNER, maxLifetimeMs: env.EVENTS_STREAM_LIFETIME_SECONDS * 1000 },
    rateLimit: { max: env.RATE_LIMIT_MAX, windowMs: env.RATE_LIMIT_WINDOW_MS },
    timeouts: {
      requestMs: env.HTTP_REQUEST_TIMEOUT_MS,
      headersMs: env.HTTP_HEADERS_TIMEOUT_MS,
      idleMs: env.HTTP_IDLE_TIMEOUT_MS,
      keepAliveMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
  };
}
