/** Where the core reports what it refused or ignored (forged webhooks, lost races), for operators. */
export interface EventLog {
  record(event: { readonly kind: string; readonly detail: Readonly<Record<string, unknown>> }): void;
}
