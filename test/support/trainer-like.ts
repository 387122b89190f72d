import type { CoreDeps } from '@selfie-lora/core';

type AnyTrainer = CoreDeps['trainer'];

/**
 * A trainer that answers as `base` except for the calls `overrides` replace, so a test changes
 * one behaviour without restating the port (and without breaking when the port grows).
 */
export function trainerLike(base: AnyTrainer, overrides: Partial<AnyTrainer>): AnyTrainer {
  return new Proxy(base, {
    get(target, property, receiver) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof AnyTrainer];
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
