import type { Clock } from '@selfie-lora/core';

/** A clock that moves only when told: deterministic tests and retry schedules. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date = new Date('2026-01-01T00:00:00.000Z')) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
