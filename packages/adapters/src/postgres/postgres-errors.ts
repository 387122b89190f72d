import { domainError, transientError, type PersistenceError } from '@selfie-lora/core';

// Node socket errors and pg's own timeout messages: the database may answer if asked again.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const TRANSIENT_MESSAGE = /timeout|timed out|terminated|connection (?:error|ended|refused|reset)|not queryable|too many clients/i;

function field(cause: unknown, name: string): string | undefined {
  if (typeof cause !== 'object' || cause === null || !(name in cause)) return undefined;
  const value = (cause as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

function describe(cause: unknown): string {
  const code = field(cause, 'code');
  const constraint = field(cause, 'constraint');
  const message = cause instanceof Error ? cause.message : String(cause);
  return [code, constraint, message].filter((part) => part !== undefined).join(': ');
}

/**
 * Translates whatever pg or TypeORM threw into the port's error. SQLSTATE classes: 23505 unique
 * -> conflict; the rest of class 23 (foreign key, check, not null, our triggers) and class 22
 * (bad values) -> constraint; 40001/40P01 lost races -> conflict; connection trouble, resource
 * limits and timeouts -> transient unavailable; anything else -> unavailable, not retried.
 */
export function persistenceError(cause: unknown): PersistenceError {
  const code = field(cause, 'code') ?? '';
  const detail = describe(cause);
  if (code === '23505' || code === '40001' || code === '40P01') return domainError('persistence.conflict', detail);
  if (code.startsWith('23') || code.startsWith('22')) return domainError('persistence.constraint', detail);
  if (/^(08|53|57)/.test(code) || code === '55P03' || NETWORK_CODES.has(code)) {
    return transientError('persistence.unavailable', detail);
  }
  if (code === '' && TRANSIENT_MESSAGE.test(detail)) return transientError('persistence.unavailable', detail);
  return domainError('persistence.unavailable', detail);
}

export const conflict = (detail: string): PersistenceError => domainError('persistence.conflict', detail);
export const constraint = (detail: string): PersistenceError => domainError('persistence.constraint', detail);
