import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';
import {
  domainError,
  errorMessages,
  IMAGE_TYPES,
  trusted,
  type ErrorCode,
  type ModelId,
  type OwnerId,
  type PersistenceError,
  type PipelineId,
  type Sha256,
  type UploadId,
} from '@selfie-lora/core';

// Rows are parsed, not cast: a row the schema should have refused (or a column the code no longer
// understands) becomes an error value instead of a wrongly typed aggregate.

export const ownerIdColumn = z.string().transform((value) => trusted<OwnerId>(value));
export const uploadIdColumn = z.string().transform((value) => trusted<UploadId>(value));
export const pipelineIdColumn = z.string().transform((value) => trusted<PipelineId>(value));
export const modelIdColumn = z.string().transform((value) => trusted<ModelId>(value));
export const sha256Column = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .transform((value) => trusted<Sha256>(value));
/** bigint columns arrive as strings from pg. */
export const countColumn = z.union([z.number(), z.string().regex(/^\d+$/)]).transform(Number).pipe(z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER));
export const imageTypeColumn = z.enum(IMAGE_TYPES);
/** Dates inside jsonb are ISO strings. */
export const isoDate = z.iso.datetime().transform((value) => new Date(value));
export const errorCode = z.custom<ErrorCode>((value) => typeof value === 'string' && Object.hasOwn(errorMessages, value));

export function parseRow<S extends z.ZodType>(schema: S, row: unknown, what: string): Result<z.output<S>, PersistenceError> {
  const parsed = schema.safeParse(row);
  return parsed.success ? ok(parsed.data) : err(domainError('persistence.corrupt', `stored ${what} is malformed: ${parsed.error.message}`));
}

export function parseRows<S extends z.ZodType>(schema: S, rows: readonly unknown[], what: string): Result<z.output<S>[], PersistenceError> {
  return parseRow(z.array(schema), rows, what);
}
