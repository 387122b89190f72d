import type { ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import type { ImageFacts, ImageType } from '../domain/upload.js';
import type { ByteStream } from './object-store.js';

export interface ImageInspector {
  /** The allowed type named by these first bytes' magic numbers, or null. */
  sniff(head: Uint8Array): ResultAsync<ImageType | null, never>;
  /** Reads the whole image: type by magic bytes, dimensions, and structure (truncation, damage). */
  inspect(bytes: ByteStream): ResultAsync<ImageFacts, DomainError<'upload.unsupported_type' | 'upload.corrupt' | 'storage.unavailable'>>;
}
