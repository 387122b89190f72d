import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { jwtVerify } from 'jose';
import { OwnerId } from '@selfie-lora/core';
import { sendProblem, shellProblem } from './problem.js';

const REALM = 'selfie-lora';
const BEARER = /^Bearer +([^\s]+)$/i;

/** The owner each authenticated request acts for; set by `requireOwner` only. */
const owners = new WeakMap<FastifyRequest, OwnerId>();

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  return BEARER.exec(header.trim())?.[1] ?? null;
}

function refuse(reply: FastifyReply, code: 'auth.missing_token' | 'auth.invalid_token'): FastifyReply {
  const challenge = code === 'auth.missing_token' ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="invalid_token"`;
  return sendProblem(reply.header('www-authenticate', challenge), shellProblem(code));
}

export type OwnerHook = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/** What an owner's bearer JWT must be bound to (docs/security.md "Tokens"). */
export interface TokenBinding {
  readonly jwtSecret: string;
  /** Required `iss` when set (AUTH_JWT_ISSUER). */
  readonly issuer?: string | undefined;
  /** Required in `aud` when set (AUTH_JWT_AUDIENCE). */
  readonly audience?: string | undefined;
  /** Longest accepted lifetime: `exp` at most this far past `iat` (or past now without `iat`). Default one day. */
  readonly maxLifetimeSeconds?: number | undefined;
  /** Clock skew allowed on `exp`, `nbf` and `iat` (default 30 s). */
  readonly clockSkewSeconds?: number | undefined;
}

export const DEFAULT_TOKEN_MAX_LIFETIME_SECONDS = 24 * 3600;
export const DEFAULT_TOKEN_CLOCK_SKEW_SECONDS = 30;

/** A token valid for longer than the cap would outlive every revocation a host can make: refused. */
class TokenLivesTooLong extends Error {
  override readonly name = 'TokenLivesTooLong';
}

/**
 * An `onRequest` hook: the request must carry a bearer JWT signed with HS256 and our secret,
 * with an `exp` (not yet past, and no further than the lifetime cap), a `sub` that is a valid
 * owner id, and the configured `iss` and `aud`. It runs before the body is read, so nobody
 * unauthenticated can make us parse or store anything.
 */
export function requireOwner(binding: TokenBinding): OwnerHook {
  if (binding.jwtSecret.length === 0) throw new Error('auth.jwtSecret must not be empty');
  const key = new TextEncoder().encode(binding.jwtSecret);
  const maxLifetime = binding.maxLifetimeSeconds ?? DEFAULT_TOKEN_MAX_LIFETIME_SECONDS;
  const skew = binding.clockSkewSeconds ?? DEFAULT_TOKEN_CLOCK_SKEW_SECONDS;
  return async (request, reply) => {
    const token = bearerToken(request);
    if (token === null) return refuse(reply, 'auth.missing_token');
    let subject: unknown;
    try {
      // Only HS256: `alg: none` and every other algorithm are refused by jose before any check.
      // `exp` is required: a token without one would be valid forever.
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'sub'],
        clockTolerance: skew,
        ...(binding.issuer === undefined ? {} : { issuer: binding.issuer }),
        ...(binding.audience === undefined ? {} : { audience: binding.audience }),
      });
      const now = Math.floor(Date.now() / 1000);
      // jose refuses a non-numeric `iat`; one in the future counts from now.
      const issuedAt = Math.min(payload.iat ?? now, now);
      if ((payload.exp ?? 0) - issuedAt > maxLifetime + skew) throw new TokenLivesTooLong(`exp is more than ${maxLifetime} s after iat`);
      subject = payload.sub;
    } catch (cause) {
      request.log.info({ reason: cause instanceof Error ? cause.name : 'unknown' }, 'bearer token refused');
      return refuse(reply, 'auth.invalid_token');
    }
    return OwnerId.parse(subject).match(
      (ownerId) => {
        owners.set(request, ownerId);
        return undefined;
      },
      () => refuse(reply, 'auth.invalid_token'),
    );
  };
}

/** The owner `requireOwner` authenticated; a route without that hook calling this is a bug. */
export function ownerOf(request: FastifyRequest): OwnerId {
  const ownerId = owners.get(request);
  if (ownerId === undefined) throw new Error(`route ${request.url} reads an owner it did not authenticate`);
  return ownerId;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** An `onRequest` hook for operator routes: `Authorization: Bearer <adminToken>`, compared in constant time. */
export function requireAdmin(adminToken: string): OwnerHook {
  if (adminToken.length === 0) throw new Error('adminToken must not be empty');
  // Comparing fixed-length digests keeps the comparison constant-time whatever the input length.
  const expected = digest(adminToken);
  return async (request, reply) => {
    const token = bearerToken(request);
    if (token === null) return refuse(reply, 'auth.missing_token');
    return timingSafeEqual(digest(token), expected) ? undefined : refuse(reply, 'auth.invalid_token');
  };
}
