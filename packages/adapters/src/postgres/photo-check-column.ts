import { z } from 'zod';
import type { PhotoCheck } from '@selfie-lora/core';

/** One stored photo check (uploads.checks jsonb), parsed back into the core's shape. */
export const photoCheckColumn = z
  .object({
    name: z.enum(['face_found', 'one_face', 'face_size', 'sharpness', 'same_person']),
    outcome: z.enum(['passed', 'warning', 'failed']),
    message: z.string(),
  })
  .transform((check): PhotoCheck => check);
