import type { EventLog } from '@selfie-lora/core';

/** One JSON line per event on stderr, for whatever collects the service's logs. */
export class ConsoleEventLog implements EventLog {
  record(event: { readonly kind: string; readonly detail: Readonly<Record<string, unknown>> }): void {
    process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`);
  }
}
