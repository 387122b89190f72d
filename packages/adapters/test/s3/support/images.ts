import { createHash } from 'node:crypto';
import sharp from 'sharp';

// The adapters package may not import the root test workspace (see .dependency-cruiser.cjs),
// so this mirrors test/support/images.ts: real images made by a library, not blobs.

export type PhotoFormat = 'jpeg' | 'png' | 'webp';

/** A real image: a flat colour derived from `seed`, so different seeds give different bytes. */
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

/** Everything a stream yields, as one buffer (test-side only: production code never does this). */
export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A real image with deterministic pixel noise derived from `seed`: unlike `photo`, it does not
 * compress to a few bytes, so it is larger than a sniffing head or a read-ahead window.
 */
export async function texturedPhoto(
  seed: number,
  options: { format?: PhotoFormat; width?: number; height?: number } = {},
): Promise<Uint8Array> {
  const { format = 'jpeg', width = 256, height = 256 } = options;
  const pixels = Buffer.alloc(width * height * 3);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < pixels.length; i += 1) {
    state = (state * 1103515245 + 12345) >>> 0;
    pixels[i] = state >>> 24;
  }
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  const encoded = format === 'png' ? image.png() : format === 'webp' ? image.webp({ lossless: true }) : image.jpeg();
  return new Uint8Array(await encoded.toBuffer());
}
