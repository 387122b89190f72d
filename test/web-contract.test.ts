import { describe, expect, it } from 'vitest';
import { IMAGE_TYPES as CORE_IMAGE_TYPES, PIPELINE_STATUSES } from '@selfie-lora/core';
import { IMAGE_TYPES, STEP_NAMES, TRAINING_STATUSES } from '../packages/web/src/api/schemas.js';
import { STATUS_WORDS, STEP_TITLES } from '../packages/web/src/training/step-words.js';

// packages/web may not import the core (it is a plain HTTP client), so it lists the contract's
// enumerations itself; this keeps the two lists from drifting apart.
describe('the web client and the contract', () => {
  it('knows every training status and step the core has, with words for each', () => {
    expect([...TRAINING_STATUSES]).toEqual([...PIPELINE_STATUSES]);
    expect(Object.keys(STATUS_WORDS).sort()).toEqual([...PIPELINE_STATUSES].sort());
    expect(Object.keys(STEP_TITLES)).toEqual([...STEP_NAMES]);
    expect([...STEP_NAMES]).toEqual(['verify_uploads', 'package', 'verify_package', 'submit', 'train']);
  });

  it('accepts every image type the core stores', () => {
    for (const type of CORE_IMAGE_TYPES) expect(IMAGE_TYPES).toContain(type);
  });
});
