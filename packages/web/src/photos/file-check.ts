import type { AppConfig } from '../api/schemas.js';

// The server's photo checks, repeated in the browser so a wrong file gets its answer at once,
// before any byte leaves the device. The server still judges every file by its bytes.

export type SniffedType = 'image/jpeg' | 'image/png' | 'image/webp' | 'image/heic';

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to));
}

/** The photo's type by its first bytes (magic numbers), never by its name or the browser's guess. */
export function sniffImageType(bytes: Uint8Array): SniffedType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((byte, i) => bytes[i] === byte)) return 'image/png';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'image/webp';
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === 'ftyp' && HEIF_BRANDS.has(ascii(bytes, 8, 12))) return 'image/heic';
  return null;
}

/** How many leading bytes sniffImageType needs. */
export const SNIFF_BYTES = 16;

export interface FileFacts {
  readonly size: number;
  readonly type: SniffedType | null;
  /** Null when the browser cannot decode the photo (HEIC in most browsers): the server then judges it. */
  readonly dimensions: { readonly width: number; readonly height: number } | null;
}

export type FileVerdict = { readonly ok: true } | { readonly ok: false; readonly code: string; readonly message: string };

function megabytes(bytes: number): string {
  return `${Math.round((bytes / 1_000_000) * 10) / 10} MB`;
}

type Limits = Pick<AppConfig, 'maxUploadBytes' | 'minWidth' | 'minHeight' | 'maxPixels' | 'acceptedTypes'>;

/** The first rule the file breaks, in words a person understands, or ok. */
export function judgeFile(facts: FileFacts, limits: Limits): FileVerdict {
  if (facts.size === 0) return { ok: false, code: 'upload.corrupt', message: 'This file is empty. Please choose another photo.' };
  if (facts.size > limits.maxUploadBytes) {
    return {
      ok: false,
      code: 'upload.too_large',
      message: `This photo is ${megabytes(facts.size)}; the largest accepted is ${megabytes(limits.maxUploadBytes)}. Please choose a smaller copy.`,
    };
  }
  const accepted = facts.type !== null && (limits.acceptedTypes.includes(facts.type) || (facts.type === 'image/heic' && limits.acceptedTypes.includes('image/heif')));
  if (!accepted) {
    return {
      ok: false,
      code: 'upload.unsupported_type',
      message: 'This file is not a JPEG, PNG, WebP or HEIC photo. Please choose a photo in one of those formats.',
    };
  }
  if (facts.dimensions !== null) {
    const { width, height } = facts.dimensions;
    if (width < limits.minWidth || height < limits.minHeight) {
      return {
        ok: false,
        code: 'upload.too_small',
        message: `This photo is ${width} x ${height} pixels; it needs at least ${limits.minWidth} x ${limits.minHeight}. Please choose a larger photo.`,
      };
    }
    if (width * height > limits.maxPixels) {
      return {
        ok: false,
        code: 'upload.too_many_pixels',
        message: `This photo has ${Math.round((width * height) / 1e6)} megapixels; at most about ${Math.round(limits.maxPixels / 1e6)} are accepted. Please choose a smaller copy.`,
      };
    }
  }
  return { ok: true };
}
