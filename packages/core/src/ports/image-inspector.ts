import type { ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import type { ImageFacts, ImageType } from '../domain/upload.js';
import type { ByteStream } from './object-store.js';

export type InspectError = DomainError<
  'upload.unsupported_type' | 'upload.corrupt' | 'upload.too_many_pixels' | 'upload.busy' | 'storage.unavailable'
>;

export interface ImageInspector {
  /** The allowed type named by these first bytes' magic numbers, or null. */
  sniff(head: Uint8Array): ResultAsync<ImageType | null, never>;
  /**
   * Reads the whole image: type by magic bytes, dimensions, and structure (truncation, damage).
   * Dimensions are read from the header first: past the adapter's pixel limit the image is
   * refused (`upload.too_many_pixels`) without being decoded; `upload.busy` when the adapter's
   * bounded line of image work is full (transient).
   */
  inspect(bytes: ByteStream): ResultAsync<ImageFacts, InspectError>;
}
