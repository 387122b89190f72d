import { zipSync } from 'fflate';
import { photo } from '@selfie-lora/testkit/photos';

/** A real JPEG, 64 px by default: the trainer tests need distinct bytes, not large ones. */
export function smallPhoto(seed: number, size = 64): Promise<Uint8Array> {
  return photo(seed, { width: size, height: size });
}

/** A store-mode training ZIP, as the packager writes it: `<n>.jpg` per photo. */
export function trainingZip(photos: readonly Uint8Array[]): Uint8Array {
  return zipSync(Object.fromEntries(photos.map((bytes, i) => [`${String(i).padStart(3, '0')}.jpg`, [bytes, { level: 0 }]])));
}
