import type { EventLog } from '@selfie-lora/core';
import { pino, type DestinationStream, type Logger } from 'pino';

export type OperatorLogger = Logger;

/**
 * The one structured logger of the service, the worker and the audit: JSON lines with a
 * numeric `level`, on stderr by default (stdout stays for what a person reads: the banner, the
 * audit's report). LOG_LEVEL overrides the level.
 */
export function createOperatorLogger(options: { readonly name: string; readonly level?: string; readonly destination?: DestinationStream }): OperatorLogger {
  const level = options.level ?? process.env['LOG_LEVEL'] ?? 'info';
  return pino({ name: options.name, level, serializers: { err: errorFields } }, options.destination ?? pino.destination(2));
}

/**
 * What an operator needs of any failure: its code, message and cause (a domain error's `detail`,
 * an exception's `cause` chain), never `[object Object]`.
 */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      type: error.name,
      ...(code === undefined ? {} : { code }),
      message: error.message,
      ...(error.cause === undefined ? {} : { cause: errorFields(error.cause) }),
      stack: error.stack,
    };
  }
  if (typeof error === 'object' && error !== null) {
    const { code, message, detail, transient, cause } = error as Record<string, unknown>;
    return {
      ...(code === undefined ? {} : { code }),
      message: typeof message === 'string' ? message : JSON.stringify(error),
      ...(detail === undefined ? {} : { detail }),
      ...(transient === undefined ? {} : { transient }),
      ...(cause === undefined ? {} : { cause: errorFields(cause) }),
    };
  }
  return { message: String(error) };
}

// Events that say something went wrong or was refused: an operator filters on level >= warn.
const WARNING = /failed|ignored|retry|unadopted|deferred|refused|mismatch/;

/** The core's event log as lines of the operator logger (`event` = the kind, plus its detail). */
export class OperatorEventLog implements EventLog {
  constructor(private readonly logger: OperatorLogger) {}

  record(event: { readonly kind: string; readonly detail: Readonly<Record<string, unknown>> }): void {
    const level = WARNING.test(event.kind) ? 'warn' : 'info';
    this.logger[level]({ event: event.kind, ...event.detail }, event.kind);
  }
}
