import type { Clock } from '@selfie-lora/core';

export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}
