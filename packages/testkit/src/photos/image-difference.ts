import sharp from 'sharp';

/** Mean absolute difference of two images as 32x32 greyscale thumbnails (0 = same picture). */
export async function imageDifference(a: Uint8Array, b: Uint8Array): Promise<number> {
  const thumb = (bytes: Uint8Array) => sharp(bytes).resize(32, 32, { fit: 'fill' }).greyscale().raw().toBuffer();
  const [x, y] = await Promise.all([thumb(a), thumb(b)]);
  let total = 0;
  for (let i = 0; i < x.length; i += 1) total += Math.abs(x[i]! - y[i]!);
  return total / x.length;
}
