import type { FastifyCorsOptions } from '@fastify/cors';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * An `onSend` hook: no answer is ever sniffed into another type by a browser, and an answer
 * to a request carrying credentials is never stored by a browser or a shared cache (it holds
 * one owner's photos, trainings or tokens), except by that browser where a route says `private`.
 * The events stream keeps its `no-transform`.
 */
export function protectiveHeaders(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void): void {
  reply.header('x-content-type-options', 'nosniff');
  const current = reply.getHeader('cache-control');
  // A route may opt into `private` caching (an owner's own photo bytes): never a shared cache.
  const privateOnly = typeof current === 'string' && current.startsWith('private');
  if (request.headers.authorization !== undefined && !privateOnly) {
    const keepsTransform = typeof current === 'string' && current.includes('no-transform');
    reply.header('cache-control', keepsTransform ? 'no-store, no-transform' : 'no-store');
  }
  done(null, payload);
}

/**
 * The cross-origin policy: none by default (a browser then allows only same-origin calls, which
 * is what the web app served at `/` makes); with origins configured, exactly those may call
 * with a bearer token, and may read `Retry-After` on a 429.
 */
export function corsOptions(allowedOrigins: readonly string[]): FastifyCorsOptions {
  return {
    origin: allowedOrigins.length === 0 ? false : [...allowedOrigins],
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
    exposedHeaders: ['Retry-After', 'Location'],
    credentials: false,
    maxAge: 600,
  };
}
