import { readFile } from 'node:fs/promises';
import exifReader from 'exif-reader';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { hasHeifTransform } from '../../src/images/heif-boxes.js';
import { orient, SharpPhotoNormaliser } from '../../src/images/sharp-photo-normaliser.js';
import { imageDifference, photo } from '@selfie-lora/testkit/photos';

const normaliser = new SharpPhotoNormaliser();
afterAll(() => normaliser.close());

const fixture = (name: string) => readFile(new URL(`../fixtures/photos/${name}`, import.meta.url));

/** Nothing of the original's metadata: no EXIF (GPS, device, time), XMP, IPTC or ICC profile. */
async function expectNoMetadata(bytes: Uint8Array): Promise<void> {
  const meta = await sharp(bytes).metadata();
  expect([meta.exif, meta.xmp, meta.iptc, meta.icc, meta.orientation]).toEqual([undefined, undefined, undefined, undefined, undefined]);
  expect(Buffer.from(bytes).includes('TestPhone')).toBe(false);
}

describe('SharpPhotoNormaliser: photos as phones take them (issue 11)', () => {
  it('turns a JPEG with EXIF orientation 6 upright and drops its GPS, device and time', async () => {
    const sent = await fixture('jpeg-orientation-6-gps.jpg');
    const tags = exifReader((await sharp(sent).metadata()).exif!);
    expect([tags.Image?.Orientation, tags.GPSInfo?.GPSLatitude, tags.Image?.Make]).toEqual([6, [48, 51, expect.any(Number)], 'TestPhone']);
    const stored = (await normaliser.normalise(sent))._unsafeUnwrap();
    expect(stored.facts).toEqual({ contentType: 'image/jpeg', width: 288, height: 384 });
    const upright = await fixture('upright.jpg');
    expect(await imageDifference(stored.bytes, upright)).toBeLessThan(8);
    expect(await imageDifference(stored.bytes, await sharp(upright).rotate(180).toBuffer())).toBeGreaterThan(20);
    await expectNoMetadata(stored.bytes);
  });

  it.each([
    ['heic-upright.heic', false],
    ['heic-exif-orientation-6.heic', false],
    // As iPhones write them: an `irot` box and an EXIF orientation for the same turn; turned once.
    ['heic-irot-and-exif-6.heic', true],
  ])('decodes %s to an upright JPEG without metadata', async (name, rotationBox) => {
    const sent = await fixture(name);
    expect(hasHeifTransform(sent)).toBe(rotationBox);
    const stored = (await normaliser.normalise(sent))._unsafeUnwrap();
    expect(stored.facts).toEqual({ contentType: 'image/jpeg', width: 288, height: 384 });
    expect(await imageDifference(stored.bytes, await fixture('upright.jpg'))).toBeLessThan(10);
    await expectNoMetadata(stored.bytes);
  });

  it('applies each of the eight EXIF orientations exactly as libvips does (the mapping used for HEIC)', async () => {
    // Four coloured quadrants: any turn or mirror moves them.
    const width = 40;
    const height = 20;
    const raw = Buffer.alloc(width * height * 3);
    const colours = [[250, 0, 0], [0, 250, 0], [0, 0, 250], [250, 250, 250]] as const;
    for (let y = 0; y < height; y += 1)
      for (let x = 0; x < width; x += 1) raw.set(colours[(y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1)]!, (y * width + x) * 3);
    const rawInput = { raw: { width, height, channels: 3 as const } };
    for (let orientation = 1; orientation <= 8; orientation += 1) {
      const tagged = await sharp(raw, rawInput).withMetadata({ orientation }).png().toBuffer();
      const byLibvips = (await normaliser.normalise(tagged))._unsafeUnwrap();
      const byMapping = await orient(sharp(raw, rawInput), orientation).png().toBuffer();
      const [a, b] = await Promise.all([sharp(byLibvips.bytes).raw().toBuffer({ resolveWithObject: true }), sharp(byMapping).raw().toBuffer({ resolveWithObject: true })]);
      expect([b.info.width, b.info.height], `orientation ${orientation}`).toEqual([a.info.width, a.info.height]);
      expect(b.data.equals(a.data), `orientation ${orientation}`).toBe(true);
    }
  });

  it('keeps a PNG lossless (PNG in, PNG out) and makes a WebP a JPEG', async () => {
    const png = (await normaliser.normalise(await photo(3, { format: 'png', width: 300, height: 260 })))._unsafeUnwrap();
    expect(png.facts).toEqual({ contentType: 'image/png', width: 300, height: 260 });
    const webp = (await normaliser.normalise(await photo(3, { format: 'webp', width: 300, height: 260 })))._unsafeUnwrap();
    expect(webp.facts).toEqual({ contentType: 'image/jpeg', width: 300, height: 260 });
  });

  it('refuses what is not an accepted photo, a damaged HEIC, and too many pixels', async () => {
    const gif = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#123456' } }).gif().toBuffer();
    expect((await normaliser.normalise(gif))._unsafeUnwrapErr().code).toBe('upload.unsupported_type');
    const heic = await fixture('heic-upright.heic');
    expect((await normaliser.normalise(heic.subarray(0, Math.floor(heic.byteLength * 0.6))))._unsafeUnwrapErr().code).toBe('upload.corrupt');
    const small = new SharpPhotoNormaliser({ maxPixels: 100_000 });
    expect((await small.normalise(heic))._unsafeUnwrapErr().code).toBe('upload.too_many_pixels');
    await small.close();
    // The decoder's worker survives a bad file: the next HEIC decodes.
    expect((await normaliser.normalise(heic)).isOk()).toBe(true);
  });
});
