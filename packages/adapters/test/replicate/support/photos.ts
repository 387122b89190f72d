import { zipSync } from 'fflate';
import { createHash } from 'node:crypto';
import sharp from 'sharp';

// Real images made by a library (the root test/support cannot be imported from packages/).

/** A real JPEG: a flat colour derived from `seed`, so different seeds give different SHA-256s. */
export async function photo(seed: number, size = 64): Promise<Uint8Array> {
  const background = { r: seed % 256, g: Math.floor(seed / 256) % 256, b: (seed * 37) % 256 };
  return new Uint8Array(await sharp({ create: { width: size, height: size, channels: 3, background } }).jpeg().toBuffer());
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A store-mode training ZIP, as the packager writes it: `<n>.jpg` per photo. */
export function trainingZip(photos: readonly Uint8Array[]): Uint8Array {
  return zipSync(Object.fromEntries(photos.map((bytes, i) => [`${String(i).padStart(3, '0')}.jpg`, [bytes, { level: 0 }]])));
}

/** Bytes as the streamed body an upload arrives as. */
export async function* streamOf(bytes: Uint8Array, chunkSize = 16 * 1024): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += chunkSize) {
    yield bytes.subarray(offset, offset + chunkSize);
    await Promise.resolve();
  }
}
