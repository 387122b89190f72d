/** Why the service could not start: `setting` names the variable or service at fault. */
export interface StartFailure {
  readonly setting: string;
  readonly message: string;
}

export function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
