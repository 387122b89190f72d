import type { CoreDeps } from '@selfie-lora/core';
import { portLike } from './port-like.js';

type AnyTrainer = CoreDeps['trainer'];

/** A trainer that answers as `base` except for the calls `overrides` replace (see `portLike`). */
export function trainerLike(base: AnyTrainer, overrides: Partial<AnyTrainer>): AnyTrainer {
  return portLike(base, overrides);
}
