import exifReader from 'exif-reader';
import { fileTypeFromBuffer } from 'file-type';
import { errAsync, ResultAsync } from 'neverthrow';
import sharp, { type Sharp } from 'sharp';
import { domainError, isInputImageType, type ImageType, type InputImageType, type InspectError, type NormalisedPhoto, type PhotoNormaliser } from '@selfie-lora/core';
import { HeicDecoder } from './heic-decoder.js';
import { hasHeifTransform } from './heif-boxes.js';
import { ImageWorkQueue } from './image-work-queue.js';
import { DEFAULT_MAX_PIXELS, headerDimensions, imageWorkError } from './sharp-image-inspector.js';

/** Quality of the stored JPEGs: high enough that re-encoding a phone's JPEG loses nothing a trainer sees. */
const JPEG_QUALITY = 92;

export interface SharpPhotoNormaliserOptions {
  readonly maxPixels?: number;
  /** Shared with the image inspector and the face inspector: one bound for all image work. */
  readonly queue?: ImageWorkQueue;
  readonly heic?: HeicDecoder;
}

/**
 * EXIF orientation (2..8) as the turns that make the pixels upright. sharp mirrors before it
 * rotates, so mirror + 270 is a transpose (5) and mirror + 90 a transverse (7).
 */
export function orient(image: Sharp, orientation: number): Sharp {
  switch (orientation) {
    case 2:
      return image.flop();
    case 3:
      return image.rotate(180);
    case 4:
      return image.flip();
    case 5:
      return image.flop().rotate(270);
    case 6:
      return image.rotate(90);
    case 7:
      return image.flop().rotate(90);
    case 8:
      return image.rotate(270);
    default:
      return image;
  }
}

/** libvips reports no orientation for HEIF: read it from the EXIF block (1, upright, when absent or unreadable). */
function exifOrientation(exif: Buffer | undefined): number {
  if (!exif) return 1;
  try {
    return exifReader(exif).Image?.Orientation ?? 1;
  } catch {
    return 1;
  }
}

/**
 * Normalises photos at ingest (decision in docs/decisions.md): PNG stays PNG (lossless in,
 * lossless out); JPEG, WebP and HEIC/HEIF become JPEG. Orientation is applied to the pixels,
 * colour is converted to sRGB, and nothing else of the original is kept: sharp writes no EXIF,
 * XMP, IPTC or ICC unless asked, so GPS, device and time are gone. HEIC is decoded by
 * heic-decode in a worker thread (sharp's libheif has no HEVC decoder).
 */
export class SharpPhotoNormaliser implements PhotoNormaliser {
  private readonly maxPixels: number;
  private readonly queue: ImageWorkQueue;
  private readonly heic: HeicDecoder;

  constructor(options: SharpPhotoNormaliserOptions = {}) {
    this.maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
    this.queue = options.queue ?? new ImageWorkQueue();
    this.heic = options.heic ?? new HeicDecoder();
  }

  normalise(bytes: Uint8Array): ResultAsync<NormalisedPhoto, InspectError> {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return ResultAsync.fromSafePromise(fileTypeFromBuffer(buffer.subarray(0, 4100)).catch(() => undefined)).andThen((type) => {
      const mime = type?.mime;
      if (!isInputImageType(mime)) return errAsync<NormalisedPhoto, InspectError>(domainError('upload.unsupported_type', `magic bytes: ${mime ?? 'unknown'}`));
      return headerDimensions(buffer, this.maxPixels).andThen((meta) =>
        ResultAsync.fromPromise(
          this.queue.run(() => this.encode(buffer, mime, meta.orientation ?? exifOrientation(meta.exif))),
          imageWorkError,
        ),
      );
    });
  }

  /** Ends the HEIC decoder's worker thread. */
  close(): Promise<void> {
    return this.heic.close();
  }

  private async encode(buffer: Buffer, type: InputImageType, orientation: number): Promise<NormalisedPhoto> {
    const image = type === 'image/heic' || type === 'image/heif' ? await this.decodeHeif(buffer, orientation) : sharp(buffer, { failOn: 'truncated', limitInputPixels: this.maxPixels }).autoOrient();
    const stored: ImageType = type === 'image/png' ? 'image/png' : 'image/jpeg';
    const srgb = image.toColourspace('srgb');
    const encoded = stored === 'image/png' ? srgb.png() : srgb.jpeg({ quality: JPEG_QUALITY });
    const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
    return { bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), facts: { contentType: stored, width: info.width, height: info.height } };
  }

  private async decodeHeif(buffer: Buffer, orientation: number): Promise<Sharp> {
    const pixels = await this.heic.decode(buffer);
    const image = sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 4 } }).removeAlpha();
    // libheif applied the file's own rotation box; EXIF orientation only counts without one.
    return hasHeifTransform(buffer) ? image : orient(image, orientation);
  }
}

