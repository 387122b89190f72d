/**
 * Scripted failures for fakes: "the next N calls of operation X fail". Lets tests drive retry
 * and failure paths through the same code the real adapters exercise.
 */
export class FaultPlan<Op extends string> {
  private readonly pending = new Map<Op, number>();

  failNext(op: Op, times = 1): void {
    this.pending.set(op, (this.pending.get(op) ?? 0) + times);
  }

  clear(): void {
    this.pending.clear();
  }

  /** True (and one fault consumed) when this call of `op` should fail. */
  take(op: Op): boolean {
    const left = this.pending.get(op) ?? 0;
    if (left === 0) return false;
    this.pending.set(op, left - 1);
    return true;
  }
}
