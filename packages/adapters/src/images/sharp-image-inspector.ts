import { fileTypeFromBuffer } from 'file-type';
import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import sharp, { type Metadata } from 'sharp';
import { domainError, isImageType, transientError, type ImageInspector, type ImageType, type InspectError } from '@selfie-lora/core';
import { ImageQueueFull } from './image-work-queue.js';

/** Images past this many pixels are refused from their header, before any decode (IMAGE_MAX_PIXELS). */
export const DEFAULT_MAX_PIXELS = 40_000_000;

/** A job refused because the line is full is `upload.busy`; anything else is the photo's fault. */
export function imageWorkError(cause: unknown): InspectError {
  return cause instanceof ImageQueueFull
    ? transientError('upload.busy', cause.message)
    : domainError('upload.corrupt', `decode failed: ${String(cause)}`);
}

/**
 * Dimensions as the header declares them (no pixel is decoded), refused past `maxPixels`: a
 * small file declaring a huge image (a decompression bomb) costs a header read, not a decode.
 */
export function headerDimensions(buffer: Buffer, maxPixels: number): ResultAsync<Metadata, InspectError> {
  return ResultAsync.fromPromise(sharp(buffer).metadata(), (cause) => domainError('upload.corrupt', `header unreadable: ${String(cause)}`)).andThen(
    (meta) => {
      if (!meta.width || !meta.height) return errAsync(domainError('upload.corrupt', 'no dimensions'));
      const pixels = meta.width * meta.height * Math.max(1, meta.pages ?? 1);
      return pixels > maxPixels
        ? errAsync(domainError('upload.too_many_pixels', `${meta.width}x${meta.height} (${meta.pages ?? 1} pages) > ${maxPixels} pixels`))
        : okAsync(meta);
    },
  );
}

/** Names a stored photo's type by its magic numbers (file-type), for I2's check before packaging. */
export class SharpImageInspector implements ImageInspector {
  sniff(head: Uint8Array): ResultAsync<ImageType | null, never> {
    return ResultAsync.fromSafePromise(
      fileTypeFromBuffer(head).then(
        (type) => (type && isImageType(type.mime) ? type.mime : null),
        () => null,
      ),
    );
  }
}
