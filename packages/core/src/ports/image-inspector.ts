import type { ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import type { ImageType } from '../domain/upload.js';

/** Why a photo could not be judged (the normaliser's failures). */
export type InspectError = DomainError<
  'upload.unsupported_type' | 'upload.corrupt' | 'upload.too_many_pixels' | 'upload.busy' | 'storage.unavailable'
>;

export interface ImageInspector {
  /** The allowed type named by these first bytes' magic numbers, or null. */
  sniff(head: Uint8Array): ResultAsync<ImageType | null, never>;
}
