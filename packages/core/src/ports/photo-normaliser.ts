import type { ResultAsync } from 'neverthrow';
import type { ImageFacts } from '../domain/upload.js';
import type { InspectError } from './image-inspector.js';

/** A photo as it will be stored and trained on, and what it is. */
export interface NormalisedPhoto {
  readonly bytes: Uint8Array;
  /** Of `bytes`: a stored type, upright dimensions. */
  readonly facts: ImageFacts;
}

export interface PhotoNormaliser {
  /**
   * Judges the bytes a person sent (any input type, by magic bytes; dimensions from the header
   * first, refused past the pixel limit; a full decode) and returns the photo to store: upright
   * (orientation applied), sRGB, every metadata field (GPS, device, time) dropped.
   */
  normalise(bytes: Uint8Array): ResultAsync<NormalisedPhoto, InspectError>;
}
