import type { EventLog } from '@selfie-lora/core';

/** Keeps events in memory, so tests can assert what was refused and logged. */
export class RecordingEventLog implements EventLog {
  readonly events: { kind: string; detail: Readonly<Record<string, unknown>> }[] = [];

  record(event: { readonly kind: string; readonly detail: Readonly<Record<string, unknown>> }): void {
    this.events.push({ kind: event.kind, detail: event.detail });
  }

  kinds(): string[] {
    return this.events.map((event) => event.kind);
  }
}
