/** Fixed instants for the injected `now` of domain functions; tests never read the wall clock. */
export const t0 = new Date('2024-05-01T10:00:00.000Z');

/** `t0` plus some minutes: a distinct, ordered instant per step of a scenario. */
export function minutesAfterStart(minutes: number): Date {
  return new Date(t0.getTime() + minutes * 60_000);
}
