import { randomUUID } from 'node:crypto';
import type { IdSource } from '@selfie-lora/core';

export class RandomIdSource implements IdSource {
  next(): string {
    return randomUUID();
  }
}
