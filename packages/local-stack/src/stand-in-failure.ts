/**
 * Why a stand-in could not start: `setting` names the variable that would avoid it. The same
 * shape as the shell's `StartFailure`, declared here because production code may not import
 * this package's types.
 */
export interface StandInFailure {
  readonly setting: string;
  readonly message: string;
}

export function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
