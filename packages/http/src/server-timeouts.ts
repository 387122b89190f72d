import type { ServerOptions } from 'node:http';

/** How long a client may take (docs/security.md "Connections"); Node and Fastify default to no limit. */
export interface ServerTimeouts {
  /** The whole request, headers and body, must arrive within this (an upload on a slow line included). */
  readonly requestMs: number;
  /** The request line and headers must arrive within this. */
  readonly headersMs: number;
  /** A socket silent this long is closed (longer than the events stream's heartbeat). */
  readonly idleMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveMs: number;
}

export const DEFAULT_SERVER_TIMEOUTS: ServerTimeouts = { requestMs: 120_000, headersMs: 15_000, idleMs: 60_000, keepAliveMs: 5_000 };

/**
 * Fastify's and Node's server options for these timeouts. Node checks request and header
 * deadlines on an interval (30 s by default), which would let a slow client overstay a short
 * limit by that much: the interval follows the shortest limit.
 */
export function serverTimeoutOptions(timeouts: ServerTimeouts = DEFAULT_SERVER_TIMEOUTS): {
  requestTimeout: number;
  connectionTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
} {
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeout = Math.min(timeouts.headersMs, timeouts.requestMs);
  return {
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: { headersTimeout, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))) },
  };
}
