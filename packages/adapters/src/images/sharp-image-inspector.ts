import { fileTypeFromBuffer } from 'file-type';
import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import sharp, { type Metadata } from 'sharp';
import { domainError, isImageType, transientError, type ByteStream, type ImageFacts, type ImageInspector, type ImageType, type InspectError } from '@selfie-lora/core';
import { ImageQueueFull, ImageWorkQueue } from './image-work-queue.js';

/** Images past this many pixels are refused from their header, before any decode (IMAGE_MAX_PIXELS). */
export const DEFAULT_MAX_PIXELS = 40_000_000;

export interface SharpImageInspectorOptions {
  readonly maxPixels?: number;
  /** Shared by every image adapter of a process, so their work is bounded together. */
  readonly queue?: ImageWorkQueue;
}

async function collect(bytes: ByteStream): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of bytes) chunks.push(chunk);
  return Buffer.concat(chunks);
}

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

/**
 * Judges images by their bytes: the type by magic numbers (file-type), the dimensions from the
 * header (refused past the pixel limit before decoding), then a full decode with libvips (sharp)
 * in the bounded image queue, which fails on truncated or damaged data.
 */
export class SharpImageInspector implements ImageInspector {
  readonly maxPixels: number;
  readonly queue: ImageWorkQueue;

  constructor(options: SharpImageInspectorOptions = {}) {
    this.maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
    this.queue = options.queue ?? new ImageWorkQueue();
  }

  sniff(head: Uint8Array): ResultAsync<ImageType | null, never> {
    return ResultAsync.fromSafePromise(
      fileTypeFromBuffer(head).then(
        (type) => (type && isImageType(type.mime) ? type.mime : null),
        () => null,
      ),
    );
  }

  inspect(bytes: ByteStream): ResultAsync<ImageFacts, InspectError> {
    // A stream that breaks off is storage trouble, not the photo's fault: retryable.
    return ResultAsync.fromPromise(collect(bytes), (cause) => transientError('storage.unavailable', `read failed: ${String(cause)}`)).andThen(
      (buffer) =>
        this.sniff(buffer.subarray(0, 4100)).andThen((contentType) => {
          if (contentType === null) return errAsync<ImageFacts, InspectError>(domainError('upload.unsupported_type', 'magic bytes'));
          return headerDimensions(buffer, this.maxPixels)
            .andThen(() =>
              ResultAsync.fromPromise(
                // `failOn: 'truncated'` makes a cut-off file an error; stats() forces a full decode.
                this.queue.run(() =>
                  sharp(buffer, { failOn: 'truncated', limitInputPixels: this.maxPixels })
                    .stats()
                    .then(() => sharp(buffer).metadata()),
                ),
                imageWorkError,
              ),
            )
            .andThen((meta) =>
              meta.width && meta.height
                ? okAsync({ contentType, width: meta.autoOrient?.width ?? meta.width, height: meta.autoOrient?.height ?? meta.height })
                : errAsync(domainError('upload.corrupt', 'no dimensions')),
            );
        }),
    );
  }
}
