import type { CoreDeps } from '@selfie-lora/core';

type AnyTrainer = CoreDeps['trainer'];

/**
 * A port that answers as `base` except for the calls `overrides` replace, so a test changes one
 * behaviour without restating the port (and without breaking when the port grows).
 */
export function portLike<T extends object>(base: T, overrides: Partial<T>): T {
  return new Proxy(base, {
    get(target, property, receiver) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A trainer that answers as `base` except for the calls `overrides` replace (see `portLike`). */
export function trainerLike(base: AnyTrainer, overrides: Partial<AnyTrainer>): AnyTrainer {
  return portLike(base, overrides);
}
