import sharp from 'sharp';

/** A real JPEG made by sharp: a colour from `seed`, so different seeds give different bytes. */
export async function jpeg(seed: number, size: { width?: number; height?: number; noisy?: boolean } = {}): Promise<Uint8Array> {
  const { width = 256, height = 256, noisy = false } = size;
  const background = { r: seed % 256, g: Math.floor(seed / 256) % 256, b: (seed * 37) % 256 };
  // Noise does not compress: a noisy photo is as large as a test of size limits needs.
  const image = sharp({
    create: { width, height, channels: 3, background, ...(noisy ? { noise: { type: 'gaussian' as const, mean: 128, sigma: 60 } } : {}) },
  });
  return new Uint8Array(await image.jpeg({ quality: 95 }).toBuffer());
}
