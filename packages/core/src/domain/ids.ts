import { err, ok, type Result } from 'neverthrow';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type OwnerId = Brand<string, 'OwnerId'>;
export type UploadId = Brand<string, 'UploadId'>;
export type PipelineId = Brand<string, 'PipelineId'>;
export type ModelId = Brand<string, 'ModelId'>;
/** Lowercase hex SHA-256 of some bytes. */
export type Sha256 = Brand<string, 'Sha256'>;

export interface InvalidValue {
  readonly code: 'value.invalid';
  readonly field: string;
  readonly detail: string;
}

// Ids come from JWT subjects, URLs and database rows: bounded and printable, nothing else.
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@|-]{0,127}$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;

function parsed<T>(field: string, value: unknown, pattern: RegExp): Result<T, InvalidValue> {
  return typeof value === 'string' && pattern.test(value)
    ? ok(value as T)
    : err({ code: 'value.invalid', field, detail: `${field} is not a valid value` });
}

export const OwnerId = {
  parse: (value: unknown) => parsed<OwnerId>('ownerId', value, ID_PATTERN),
};
export const UploadId = {
  parse: (value: unknown) => parsed<UploadId>('uploadId', value, ID_PATTERN),
};
export const PipelineId = {
  parse: (value: unknown) => parsed<PipelineId>('pipelineId', value, ID_PATTERN),
};
export const ModelId = {
  parse: (value: unknown) => parsed<ModelId>('modelId', value, ID_PATTERN),
};
export const Sha256 = {
  parse: (value: unknown) => parsed<Sha256>('sha256', value, SHA256_PATTERN),
};

/** For values the system produced itself (rows, generated ids); never for outside input. */
export function trusted<T extends OwnerId | UploadId | PipelineId | ModelId | Sha256>(value: string): T {
  return value as T;
}
