import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { judgeFile, sniffImageType, type FileFacts } from '../src/photos/file-check.js';

const photos = fileURLToPath(new URL('../../adapters/test/fixtures/photos/', import.meta.url));
const head = (name: string) => new Uint8Array(readFileSync(photos + name).subarray(0, 16));

const limits = {
  maxUploadBytes: 20_000_000,
  minWidth: 256,
  minHeight: 256,
  maxPixels: 40_000_000,
  acceptedTypes: ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif'],
};
const fine: FileFacts = { size: 1000, type: 'image/jpeg', dimensions: { width: 512, height: 512 } };

describe('sniffImageType', () => {
  it('knows real photos by their bytes, HEIC included', () => {
    expect(sniffImageType(head('astronaut-a.jpg'))).toBe('image/jpeg');
    expect(sniffImageType(head('heic-upright.heic'))).toBe('image/heic');
  });

  it('knows PNG and WebP signatures', () => {
    expect(sniffImageType(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]))).toBe('image/png');
    expect(sniffImageType(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
  });

  it('refuses text, a RIFF that is not WebP and an ftyp that is not HEIF (video)', () => {
    expect(sniffImageType(new TextEncoder().encode('hello, this is text'))).toBeNull();
    expect(sniffImageType(new TextEncoder().encode('RIFF\0\0\0\0WAVEfmt '))).toBeNull();
    expect(sniffImageType(new TextEncoder().encode('\0\0\0\x18ftypmp42\0\0\0\0'))).toBeNull();
  });

  it('never throws, whatever the bytes (too short included)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 32 }), (bytes) => {
      const type = sniffImageType(bytes);
      expect(type === null || typeof type === 'string').toBe(true);
    }));
  });
});

describe('judgeFile', () => {
  it('accepts a photo within every limit', () => {
    expect(judgeFile(fine, limits)).toEqual({ ok: true });
  });

  it('names each broken rule with its code and the numbers a person needs', () => {
    expect(judgeFile({ ...fine, size: 0 }, limits)).toMatchObject({ ok: false, code: 'upload.corrupt' });
    const tooLarge = judgeFile({ ...fine, size: 25_000_000 }, limits);
    expect(tooLarge).toMatchObject({ ok: false, code: 'upload.too_large' });
    expect(!tooLarge.ok && tooLarge.message).toContain('20 MB');
    expect(judgeFile({ ...fine, type: null }, limits)).toMatchObject({ ok: false, code: 'upload.unsupported_type' });
    const tooSmall = judgeFile({ ...fine, dimensions: { width: 200, height: 900 } }, limits);
    expect(tooSmall).toMatchObject({ ok: false, code: 'upload.too_small' });
    expect(!tooSmall.ok && tooSmall.message).toContain('200 x 900');
    expect(judgeFile({ ...fine, dimensions: { width: 9000, height: 9000 } }, limits)).toMatchObject({ ok: false, code: 'upload.too_many_pixels' });
  });

  it('leaves a photo the browser cannot decode (HEIC) to the server for its size in pixels', () => {
    expect(judgeFile({ size: 1000, type: 'image/heic', dimensions: null }, limits)).toEqual({ ok: true });
  });

  it('refuses a type the server does not accept, even a real image', () => {
    expect(judgeFile(fine, { ...limits, acceptedTypes: ['image/png'] })).toMatchObject({ ok: false, code: 'upload.unsupported_type' });
  });

  it('accepts exactly at the limits and refuses one past them', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 4000 }), (width, height) => {
        const verdict = judgeFile({ ...fine, dimensions: { width, height } }, limits);
        expect(verdict.ok).toBe(width >= 256 && height >= 256 && width * height <= 40_000_000);
      }),
    );
    expect(judgeFile({ ...fine, size: limits.maxUploadBytes }, limits).ok).toBe(true);
    expect(judgeFile({ ...fine, size: limits.maxUploadBytes + 1 }, limits).ok).toBe(false);
  });
});
