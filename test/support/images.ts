import sharp from 'sharp';

export type PhotoFormat = 'jpeg' | 'png' | 'webp';

/**
 * A real image made by a library (not a blob of unknown origin): a flat colour derived from
 * `seed`, so different seeds give different bytes and SHA-256s.
 */
export async function photo(
  seed: number,
  options: { format?: PhotoFormat; width?: number; height?: number } = {},
): Promise<Uint8Array> {
  const { format = 'jpeg', width = 256, height = 256 } = options;
  const image = sharp({
    create: { width, height, channels: 3, background: { r: seed % 256, g: Math.floor(seed / 256) % 256, b: (seed * 37) % 256 } },
  });
  const encoded = format === 'png' ? image.png() : format === 'webp' ? image.webp({ lossless: true }) : image.jpeg();
  return new Uint8Array(await encoded.toBuffer());
}

/** Bytes as the stream an HTTP body or S3 object would be, in chunks. */
export async function* streamOf(bytes: Uint8Array, chunkSize = 16 * 1024): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += chunkSize) {
    yield bytes.subarray(offset, offset + chunkSize);
    await Promise.resolve();
  }
}
