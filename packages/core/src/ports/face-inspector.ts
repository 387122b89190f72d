import type { ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import type { FaceReport } from '../domain/photo-checks.js';
import type { NormalisedPhoto } from './photo-normaliser.js';

export type FaceInspectError = DomainError<'upload.busy' | 'upload.checks_unavailable'>;

/** Finds faces in a stored (normalised) photo: boxes, sharpness, identity embeddings. Facts only; the core judges. */
export interface FaceInspector {
  inspect(photo: NormalisedPhoto): ResultAsync<FaceReport, FaceInspectError>;
}
