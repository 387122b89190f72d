import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { FaceInspectError, FaceInspector, FaceReport, NormalisedPhoto } from '@selfie-lora/core';
import { domainError } from '@selfie-lora/core';

/** A unit vector along `axis`: two people on different axes have cosine similarity 0. */
export function personEmbedding(axis: number, size = 8): number[] {
  return Array.from({ length: size }, (_, index) => (index === axis % size ? 1 : 0));
}

/** One large, sharp face of person 0: what every photo of the memory core shows unless told otherwise. */
export function oneFace(photo: NormalisedPhoto, person = 0): FaceReport {
  const { width, height } = photo.facts;
  const side = Math.min(width, height) / 2;
  return {
    width,
    height,
    faces: [{ box: { x: width / 4, y: height / 4, width: side, height: side }, score: 0.99, sharpness: 500, embedding: personEmbedding(person) }],
  };
}

/**
 * The face inspector of fast core tests: no model. What it "sees" is decided by the test from
 * the photo (for example by its width), so a test can make a photo with no face, several
 * faces, or another person's face without real portraits.
 */
export class FakeFaceInspector implements FaceInspector {
  inspected = 0;
  unavailable = false;

  constructor(private readonly see: (photo: NormalisedPhoto) => FaceReport = (photo) => oneFace(photo)) {}

  inspect(photo: NormalisedPhoto): ResultAsync<FaceReport, FaceInspectError> {
    this.inspected += 1;
    if (this.unavailable) return errAsync({ ...domainError('upload.checks_unavailable', 'fake: switched off'), transient: true });
    return okAsync(this.see(photo));
  }
}
