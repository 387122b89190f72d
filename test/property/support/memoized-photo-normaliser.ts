import { ResultAsync, type Result } from 'neverthrow';
import { SharpPhotoNormaliser } from '@selfie-lora/adapters';
import type { InspectError, NormalisedPhoto, PhotoNormaliser } from '@selfie-lora/core';
import { sha256Of } from '@selfie-lora/testkit/photos';

/**
 * The real normaliser, remembered per distinct byte string. Its output is a pure function of the
 * bytes, and a decode and re-encode costs ~10 ms: thousands of uploads of the same pool photos
 * across runs would otherwise dominate the suite's time.
 */
export class MemoizedPhotoNormaliser implements PhotoNormaliser {
  private readonly inner = new SharpPhotoNormaliser();
  private readonly results = new Map<string, Result<NormalisedPhoto, InspectError>>();

  normalise(bytes: Uint8Array): ResultAsync<NormalisedPhoto, InspectError> {
    const key = sha256Of(bytes);
    const known = this.results.get(key);
    if (known) return new ResultAsync(Promise.resolve(known));
    return new ResultAsync(
      (async () => {
        const result = await this.inner.normalise(bytes);
        this.results.set(key, result);
        return result;
      })(),
    );
  }
}
