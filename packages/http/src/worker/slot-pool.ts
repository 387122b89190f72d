import type { PipelineId } from '@selfie-lora/core';

/**
 * The pipelines a worker is advancing, one slot each. A slot is freed when its run ends or when
 * the run is abandoned (past maxLeaseHoldMs), whichever comes first; `onFree` then lets the loop
 * claim into it at once.
 */
export class SlotPool {
  private readonly slots = new Map<PipelineId, Promise<void>>();

  constructor(private readonly onFree: () => void) {}

  get size(): number {
    return this.slots.size;
  }

  has(id: PipelineId): boolean {
    return this.slots.has(id);
  }

  /** Runs `work` in a slot of its own; `work` gets the function that frees the slot early. */
  run(id: PipelineId, work: (freeSlot: () => void) => Promise<void>): void {
    let resolveSlot = () => {};
    this.slots.set(
      id,
      new Promise<void>((resolve) => {
        resolveSlot = resolve;
      }),
    );
    let freed = false;
    const freeSlot = () => {
      if (freed) return;
      freed = true;
      this.slots.delete(id);
      resolveSlot();
      this.onFree();
    };
    void work(freeSlot).finally(freeSlot);
  }

  /** Resolves once every slot taken so far is free. */
  async drained(): Promise<void> {
    await Promise.all(this.slots.values());
  }
}
