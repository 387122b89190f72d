import { z } from 'zod';
import { IMAGE_TYPES, PIPELINE_STATUSES } from '@selfie-lora/core';

// The JSON shapes of the HTTP contract (SPEC.md "HTTP shell contract"). Responses are encoded
// through these schemas, so a field not named here never reaches a client.

const isoDate = z.iso.datetime({ offset: true });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().describe('Written for the end user.'),
    code: z.string().describe('Stable machine code.'),
  })
  .meta({ id: 'Problem' });

export const uploadSchema = z
  .object({
    id: z.string(),
    status: z.enum(['stored', 'deleted']),
    contentType: z.enum(IMAGE_TYPES),
    byteSize: z.number().int(),
    sha256: z.string().describe('SHA-256 of the stored photo (normalised: upright, sRGB, no metadata): what the trainer gets'),
    sourceSha256: z.string().describe('SHA-256 of the bytes as they were sent: sending them again answers this upload'),
    width: z.number().int(),
    height: z.number().int(),
    checks: z
      .array(
        z.object({
          name: z.enum(['face_found', 'one_face', 'face_size', 'sharpness', 'same_person']),
          outcome: z.enum(['passed', 'warning', 'failed']),
          message: z.string().describe('Written for the end user.'),
        }),
      )
      .describe('Photo checks: a failed one refuses the photo (never stored); a warning keeps it. Empty when checks are off.'),
    createdAt: isoDate,
  })
  .meta({ id: 'Upload' });

export const pendingUploadSchema = z
  .object({
    id: z.string().describe('The upload id: once stored, the photo is listed under uploads with this id'),
    status: z.enum(['checking', 'refused']).describe('checking: received, being normalised and checked; refused: not stored (see refusal)'),
    byteSize: z.number().int().describe('Size of the bytes as they were sent'),
    sourceSha256: z.string().describe('SHA-256 of the bytes as they were sent'),
    refusal: z
      .object({ code: z.string().describe('Stable machine code, as the Problem of a photo refused before the answer'), message: z.string().describe('Written for the end user.') })
      .nullable(),
    receivedAt: isoDate,
  })
  .meta({ id: 'PendingUpload' });

export const trainingSetItemSchema = z.object({ uploadId: z.string(), sha256: z.string() });

export const modelSchema = z
  .object({
    id: z.string(),
    trainingId: z.string(),
    destination: z.string().describe('owner/name of the trainer model the version was written to'),
    version: z.string(),
    status: z.enum(['active', 'quarantined', 'erased']),
    trainingSet: z.array(trainingSetItemSchema),
  })
  .meta({ id: 'Model' });

const evidenceSchema = z.union([
  z.strictObject({
    uploads: z.array(
      z.strictObject({ uploadId: z.string(), byteSize: z.number().int(), sha256: z.string(), contentType: z.enum(IMAGE_TYPES) }),
    ),
  }),
  z.strictObject({ sha256: z.string(), byteSize: z.number().int(), entries: z.number().int() }),
  z.strictObject({
    sha256: z.string(),
    entries: z.array(z.strictObject({ name: z.string(), sha256: z.string(), byteSize: z.number().int() })),
  }),
  z.strictObject({ trainerTrainingId: z.string(), destination: z.string() }),
  z.strictObject({ version: z.string() }),
]);

export const stepSchema = z.object({
  name: z.enum(['verify_uploads', 'package', 'verify_package', 'submit', 'train']),
  status: z.enum(['running', 'succeeded', 'failed', 'canceled']),
  startedAt: isoDate,
  finishedAt: isoDate.nullable(),
  evidence: evidenceSchema.nullable().describe('What the step verified, once it succeeded'),
});

export const trainingSchema = z
  .object({
    id: z.string(),
    status: z.enum(PIPELINE_STATUSES),
    steps: z.array(stepSchema),
    failure: z.object({ step: stepSchema.shape.name, code: z.string(), message: z.string() }).nullable(),
    model: modelSchema.nullable(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'Training' });

// No length bounds: an id the core cannot accept names nothing (`*.not_found`), whatever its length.
export const idParams = z.object({ id: z.string() });

const problemContent = { content: { 'application/problem+json': { schema: problemSchema } } } as const;

/** Every route's failures: `application/problem+json` with a stable `code`. */
export const problemResponses = {
  '4xx': { description: 'Refused: see `code`', ...problemContent },
  '5xx': { description: 'Failed on our side or upstream: see `code`', ...problemContent },
} as const;

export type UploadJson = z.infer<typeof uploadSchema>;
export type PendingUploadJson = z.infer<typeof pendingUploadSchema>;
export type ModelJson = z.infer<typeof modelSchema>;
export type TrainingJson = z.infer<typeof trainingSchema>;
export type StepJson = z.infer<typeof stepSchema>;
