import type { IdSource } from '@selfie-lora/core';

/** Predictable ids (`id-1`, `id-2`, ...) for tests. */
export class SequentialIdSource implements IdSource {
  private counter = 0;

  constructor(private readonly prefix = 'id') {}

  next(): string {
    this.counter += 1;
    return `${this.prefix}-${this.counter}`;
  }
}
