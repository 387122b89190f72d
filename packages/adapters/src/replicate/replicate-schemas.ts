import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';
import {
  domainError,
  MODEL_REF_PATTERN,
  parseVersion,
  PipelineId,
  type Destination,
  type DomainError,
  type TrainerReport,
  type TrainerTraining,
  type TrainerVersion,
} from '@selfie-lora/core';

// Schemas of the Replicate answers we act on (https://replicate.com/docs/reference/http). They
// require what we rely on and tolerate extra fields; anything missing or mistyped is an answer
// we cannot trust.

/** Replicate ids are lowercase base32; stay strict so an id can never steer a request path. */
export const trainingIdPattern = /^[A-Za-z0-9_-]{1,128}$/;

export const trainingSchema = z.looseObject({
  id: z.string().regex(trainingIdPattern),
  status: z.enum(['starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted']),
  created_at: z.string().min(1),
  /**
   * Declared by the Python client, absent from the JS client's type and the documented
   * examples: when present it must be a model reference.
   */
  destination: z.string().regex(MODEL_REF_PATTERN).nullish(),
  /** Declared by the JS client, absent from the documented examples; reported to the audit. */
  webhook: z.string().min(1).nullish(),
  input: z.record(z.string(), z.unknown()).nullish(),
  output: z.looseObject({ version: z.string().nullish(), weights: z.string().nullish() }).nullish(),
  error: z.unknown().optional(),
});
export type TrainingJson = z.infer<typeof trainingSchema>;

export const trainingPageSchema = z.looseObject({
  next: z.string().nullish(),
  results: z.array(trainingSchema),
});

/** An ISO 8601 instant (Replicate writes microseconds and `Z`), as a Date. */
const instant = z.iso.datetime({ offset: true }).transform((text) => new Date(text));

/** The audit reasons about time, so a listed training's `created_at` must be a real instant. */
export const listedTrainingPageSchema = z.looseObject({
  next: z.string().nullish(),
  results: z.array(trainingSchema.extend({ created_at: instant })),
});
export type ListedTrainingJson = z.infer<typeof listedTrainingPageSchema>['results'][number];

export const modelSchema = z.looseObject({
  owner: z.string().min(1),
  name: z.string().min(1),
  visibility: z.enum(['public', 'private']),
});

export const versionPageSchema = z.looseObject({
  next: z.string().nullish(),
  results: z.array(z.looseObject({ id: z.string().regex(/^[A-Za-z0-9]{1,128}$/), created_at: instant })),
});
export type VersionJson = z.infer<typeof versionPageSchema>['results'][number];

export type InvalidResponse = DomainError<'trainer.invalid_response'>;

export function invalid(detail: string): InvalidResponse {
  return domainError('trainer.invalid_response', detail);
}

export function parseWith<T>(schema: z.ZodType<T>, json: unknown, what: string): Result<T, InvalidResponse> {
  const parsed = schema.safeParse(json);
  return parsed.success ? ok(parsed.data) : err(invalid(`${what}: ${z.prettifyError(parsed.error)}`));
}

export function parseDestination(ref: string): Destination | null {
  const match = MODEL_REF_PATTERN.exec(ref);
  return match ? { owner: match[1]!, name: match[2]! } : null;
}

function errorText(error: unknown): string | null {
  if (error === undefined || error === null) return null;
  return typeof error === 'string' ? error : JSON.stringify(error);
}

/**
 * What a training says, faithfully: its own id, the destination it names (its `destination`
 * field, else the one its output version is written to, else null) and its output version.
 * Judging whether that is the training and destination we expect is the core's job.
 */
export function toTrainerReport(
  training: Pick<TrainingJson, 'id' | 'status' | 'destination' | 'output' | 'error' | 'input'>,
): Result<TrainerReport, InvalidResponse> {
  const version = training.output?.version ?? null;
  const parsedVersion = version === null ? null : parseVersion(version);
  if (version !== null && parsedVersion === null) return err(invalid(`training ${training.id}: malformed output version ${version}`));
  if (training.status === 'succeeded' && parsedVersion === null) {
    return err(invalid(`training ${training.id} succeeded without an output version`));
  }
  const named = training.destination ? parseDestination(training.destination) : null;
  // `aborted` (ended before it ran) is a failure from the owner's point of view.
  const status = training.status === 'aborted' ? 'failed' : training.status;
  return ok({
    trainerTrainingId: training.id,
    destination: named ?? parsedVersion?.destination ?? null,
    status,
    outputVersion: version,
    error: status === 'failed' ? (errorText(training.error) ?? training.status) : errorText(training.error),
    pipelineId: submittedFor(training),
  });
}

/** A version as the inventory reports it: `owner/name:id` of the destination it was listed at. */
export function toTrainerVersion(destination: Destination, version: VersionJson): TrainerVersion {
  return { version: `${destination.owner}/${destination.name}:${version.id}`, createdAt: version.created_at };
}

/** The path of a package key, `trainings/<ownerRef>/<pipelineId>/training.zip`, at the end of a URL path. */
const packagePath = /\/trainings\/[^/]+\/([^/]+)\/training\.zip$/;

/**
 * The pipeline a training was submitted for: the pipeline id of the package key its input URL
 * points at (a signed GET URL of that key), or null when its input is no package of a pipeline.
 * `findSubmission` recognises a pipeline's submission by it, and the audit's listing reports it.
 */
export function submittedFor(training: Pick<TrainingJson, 'input'>): PipelineId | null {
  const input = training.input?.['input_images'];
  if (typeof input !== 'string') return null;
  let path: string;
  try {
    path = decodeURIComponent(new URL(input).pathname);
  } catch {
    return null;
  }
  const id = packagePath.exec(path)?.[1];
  return id === undefined ? null : PipelineId.parse(id).unwrapOr(null);
}

/** A listed training as the inventory reports it; the same checks as any report of it. */
export function toTrainerTraining(training: ListedTrainingJson): Result<TrainerTraining, InvalidResponse> {
  return toTrainerReport(training).map((report) => ({
    trainerTrainingId: report.trainerTrainingId,
    destination: report.destination,
    webhook: training.webhook ?? null,
    status: report.status,
    outputVersion: report.outputVersion,
    createdAt: training.created_at,
    pipelineId: submittedFor(training),
  }));
}
