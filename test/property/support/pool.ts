import type { ErrorCode } from '@selfie-lora/core';
import { photo, sha256Of } from '@selfie-lora/testkit/photos';

/** A real photo of the pool, made once per test file. */
export interface PoolPhoto {
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly sha256: string;
}

/** A file the upload must refuse, with the code it must be refused with. */
export interface BadFile {
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly code: ErrorCode;
}

export interface ImagePool {
  readonly photos: readonly PoolPhoto[];
  readonly bad: readonly BadFile[];
}

/** Enough distinct photos that owners rarely share bytes by chance, plus a few of other formats. */
export const POOL_SIZE = 9;

export async function makeImagePool(): Promise<ImagePool> {
  const formats = ['jpeg', 'jpeg', 'jpeg', 'png', 'jpeg', 'webp', 'jpeg', 'jpeg', 'png'] as const;
  const photos = await Promise.all(
    formats.slice(0, POOL_SIZE).map(async (format, index) => {
      const bytes = await photo(1000 + index * 7, { format });
      return { label: `photo${index}.${format}`, bytes, sha256: sha256Of(bytes) };
    }),
  );
  const jpeg = photos[0]!.bytes;
  const garbage = new Uint8Array(2048).map((_, i) => (i * 131 + 7) % 251);
  const bad: BadFile[] = [
    { label: 'text file', bytes: new TextEncoder().encode('this is not a photo at all, just words\n'.repeat(20)), code: 'upload.unsupported_type' },
    { label: 'empty file', bytes: new Uint8Array(0), code: 'upload.corrupt' },
    { label: 'truncated jpeg', bytes: jpeg.slice(0, Math.floor(jpeg.byteLength / 2)), code: 'upload.corrupt' },
    { label: 'jpeg magic + garbage', bytes: Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, ...garbage]), code: 'upload.corrupt' },
    { label: '64x64 png', bytes: await photo(4242, { format: 'png', width: 64, height: 64 }), code: 'upload.too_small' },
  ];
  return { photos, bad };
}
