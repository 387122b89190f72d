/**
 * `size` deterministic bytes from a linear congruential generator started at `seed`: not one
 * repeated value, so truncation or reordering changes the hash, and they do not compress.
 */
export function noiseBytes(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  let state = seed;
  for (let i = 0; i < size; i += 1) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}
