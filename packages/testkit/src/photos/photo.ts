import sharp, { type Sharp } from 'sharp';
import { noiseBytes } from './noise-bytes.js';

export type PhotoFormat = 'jpeg' | 'png' | 'webp';

export interface PhotoOptions {
  readonly format?: PhotoFormat;
  readonly width?: number;
  readonly height?: number;
}

function encode(image: Sharp, format: PhotoFormat): Promise<Buffer> {
  const encoded = format === 'png' ? image.png() : format === 'webp' ? image.webp({ lossless: true }) : image.jpeg();
  return encoded.toBuffer();
}

/**
 * A real image made by a library (not a blob of unknown origin): a flat colour derived from
 * `seed`, so different seeds give different bytes and SHA-256s.
 */
export async function photo(seed: number, options: PhotoOptions = {}): Promise<Uint8Array> {
  const { format = 'jpeg', width = 256, height = 256 } = options;
  const image = sharp({
    create: { width, height, channels: 3, background: { r: seed % 256, g: Math.floor(seed / 256) % 256, b: (seed * 37) % 256 } },
  });
  return new Uint8Array(await encode(image, format));
}

/**
 * A real image with deterministic pixel noise derived from `seed`: unlike `photo`, it does not
 * compress to a few bytes, so it is larger than a sniffing head or a read-ahead window.
 */
export async function texturedPhoto(seed: number, options: PhotoOptions = {}): Promise<Uint8Array> {
  const { format = 'jpeg', width = 256, height = 256 } = options;
  const pixels = noiseBytes(width * height * 3, seed >>> 0 || 1);
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  return new Uint8Array(await encode(image, format));
}
