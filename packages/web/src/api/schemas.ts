import { z } from 'zod';

// The server's answers as this client reads them (SPEC.md "HTTP shell contract";
// packages/http/src/schemas.ts is the server's side). Every answer is parsed here before use:
// a shape the client does not understand is an error, never a guess. Objects are loose where
// the server may add fields later.

export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif'] as const;

export const problemSchema = z.object({
  status: z.number().int(),
  code: z.string(),
  detail: z.string(),
  title: z.string().optional(),
});
export type Problem = z.infer<typeof problemSchema>;

export const appConfigSchema = z.object({
  demoSignIn: z.boolean(),
  minPhotos: z.number().int().positive(),
  maxPhotos: z.number().int().positive(),
  maxUploadBytes: z.number().int().positive(),
  presignedThresholdBytes: z.number().int().positive(),
  minWidth: z.number().int().nonnegative(),
  minHeight: z.number().int().nonnegative(),
  maxPixels: z.number().int().positive(),
  acceptedTypes: z.array(z.string()).min(1),
});
export type AppConfig = z.infer<typeof appConfigSchema>;

export const demoSignInSchema = z.object({
  token: z.string().min(1),
  ownerId: z.string().min(1),
  expiresAt: z.string(),
});

const checkSchema = z.object({ name: z.string(), outcome: z.enum(['passed', 'warning', 'failed']), message: z.string() });

export const uploadSchema = z.object({
  id: z.string(),
  status: z.enum(['stored', 'deleted']),
  contentType: z.string(),
  byteSize: z.number().int(),
  sha256: z.string(),
  sourceSha256: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  checks: z.array(checkSchema),
  createdAt: z.string(),
});
export type Upload = z.infer<typeof uploadSchema>;

/** A photo received and being checked after the answer, or refused by the check (with words for a person). */
export const pendingUploadSchema = z.object({
  id: z.string(),
  status: z.enum(['checking', 'refused']),
  refusal: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type PendingUpload = z.infer<typeof pendingUploadSchema>;

export const uploadAnswerSchema = z.union([z.object({ upload: uploadSchema }), z.object({ pending: pendingUploadSchema })]);
export const uploadListSchema = z.object({ uploads: z.array(uploadSchema), pending: z.array(pendingUploadSchema) });

export const uploadSlotSchema = z.object({
  upload: z.object({
    id: z.string(),
    url: z.url(),
    method: z.literal('PUT'),
    expiresAt: z.string(),
    byteSize: z.number().int(),
    maxBytes: z.number().int(),
  }),
});

export const STEP_NAMES = ['verify_uploads', 'package', 'verify_package', 'submit', 'train'] as const;
export type StepName = (typeof STEP_NAMES)[number];

export const TRAINING_STATUSES = [
  'queued',
  'verifying_uploads',
  'packaging',
  'verifying_package',
  'submitting',
  'training',
  'succeeded',
  'failed',
  'canceled',
] as const;
export type TrainingStatus = (typeof TRAINING_STATUSES)[number];

export const evidenceSchema = z.union([
  z.object({
    uploads: z.array(z.object({ uploadId: z.string(), byteSize: z.number().int(), sha256: z.string(), contentType: z.string() })),
  }),
  z.object({ sha256: z.string(), byteSize: z.number().int(), entries: z.number().int() }),
  z.object({ sha256: z.string(), entries: z.array(z.object({ name: z.string(), sha256: z.string(), byteSize: z.number().int() })) }),
  z.object({ trainerTrainingId: z.string(), destination: z.string() }),
  z.object({ version: z.string() }),
]);
export type Evidence = z.infer<typeof evidenceSchema>;

export const stepSchema = z.object({
  name: z.enum(STEP_NAMES),
  status: z.enum(['running', 'succeeded', 'failed', 'canceled']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  evidence: evidenceSchema.nullable(),
});
export type Step = z.infer<typeof stepSchema>;

export const modelSchema = z.object({
  id: z.string(),
  trainingId: z.string(),
  destination: z.string(),
  version: z.string(),
  status: z.enum(['active', 'quarantined', 'erased']),
  trainingSet: z.array(z.object({ uploadId: z.string(), sha256: z.string() })),
});
export type Model = z.infer<typeof modelSchema>;

export const trainingSchema = z.object({
  id: z.string(),
  status: z.enum(TRAINING_STATUSES),
  steps: z.array(stepSchema),
  failure: z.object({ step: z.enum(STEP_NAMES), code: z.string(), message: z.string() }).nullable(),
  model: modelSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Training = z.infer<typeof trainingSchema>;

export const trainingAnswerSchema = z.object({ training: trainingSchema });
export const trainingListSchema = z.object({ trainings: z.array(trainingSchema) });
export const modelListSchema = z.object({ models: z.array(modelSchema) });
export const deleteAnswerSchema = z.object({ upload: uploadSchema, canceledTraining: trainingSchema.nullable() });

export function isTerminal(status: TrainingStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'canceled';
}

/** Models a person may see: a quarantined (or erased) model is never shown. */
export function visibleModels(models: readonly Model[]): Model[] {
  return models.filter((model) => model.status === 'active');
}
