import { Readable } from 'node:stream';
import fc from 'fast-check';
import { Zip, ZipPassThrough, zipSync, type Zippable } from 'fflate';
import yauzl from 'yauzl';
import { describe, expect, it } from 'vitest';
import { readCentralDirectory } from '../../src/s3/zip-central-directory.js';
import { ZipEntryHasher } from '../../src/s3/zip-entry-hasher.js';
import { sha256Of } from '@selfie-lora/testkit/photos';

/** yauzl random access over bytes in memory (S3RangeReader does the same over ranged GETs). */
class BufferReader extends yauzl.RandomAccessReader {
  constructor(private readonly bytes: Buffer) {
    super();
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    if (position + length > this.bytes.length) {
      callback(new Error('read past the end'));
      return;
    }
    this.bytes.copy(buffer, offset, position, position + length);
    callback(null);
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from([this.bytes.subarray(start, end)]);
  }
}

/** Lists and hashes a ZIP held in memory, feeding the hasher in the given chunk sizes. */
async function hashEntries(zip: Uint8Array, chunkSizes: readonly number[] = [zip.byteLength || 1]) {
  const bytes = Buffer.from(zip);
  const directory = await readCentralDirectory(new BufferReader(bytes), bytes.length);
  if (directory.isErr()) return { error: directory.error };
  const hasher = new ZipEntryHasher(directory.value, bytes.length);
  let offset = 0;
  for (let i = 0; offset < bytes.length; i += 1) {
    const size = Math.max(1, chunkSizes[i % chunkSizes.length]!);
    hasher.write(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return hasher.finish().match(
    (entries) => ({ entries }),
    (error) => ({ error }),
  );
}

/** The streaming writer the packager uses (data descriptors after each entry). */
function streamedZip(files: readonly (readonly [string, Uint8Array])[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zip = new Zip((error, chunk) => {
    if (error) throw error;
    chunks.push(chunk);
  });
  for (const [name, bytes] of files) {
    const entry = new ZipPassThrough(name);
    zip.add(entry);
    entry.push(bytes.subarray(0, Math.floor(bytes.length / 2)));
    entry.push(bytes.subarray(Math.floor(bytes.length / 2)), true);
  }
  zip.end();
  return Buffer.concat(chunks);
}

function storedZip(files: readonly (readonly [string, Uint8Array])[]): Uint8Array {
  const zippable: Zippable = {};
  for (const [name, bytes] of files) zippable[name] = [bytes, { level: 0 }];
  return zipSync(zippable);
}

const SIGNATURES = [
  [0x50, 0x4b, 0x07, 0x08],
  [0x50, 0x4b, 0x03, 0x04],
  [0x50, 0x4b, 0x01, 0x02],
  [0x50, 0x4b, 0x05, 0x06],
];

/** Entry contents laced with ZIP signatures at random places. */
const contents = fc
  .tuple(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...SIGNATURES)), { maxLength: 4 }))
  .map(([bytes, traps]) => {
    const out = Buffer.from(bytes);
    const parts: Buffer[] = [out];
    for (const [at, signature] of traps) parts.splice(Math.min(parts.length, at % (parts.length + 1)), 0, Buffer.from(signature));
    return new Uint8Array(Buffer.concat(parts));
  });

const fileSets = fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z0-9]{1,12}\.(jpg|png|bin)$/), contents), {
  maxLength: 6,
  selector: ([name]) => name,
});

describe('ZipEntryHasher (central directory driven, one pass)', { timeout: 30_000 }, () => {
  it('hashes every entry exactly, whatever the chunking and whatever signatures the data holds', async () => {
    await fc.assert(
      fc.asyncProperty(fileSets, fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }), fc.boolean(), async (files, chunking, streamed) => {
        const zip = streamed ? streamedZip(files) : storedZip(files);
        const result = await hashEntries(zip, chunking);
        expect(result).toEqual({
          entries: files.map(([name, bytes]) => ({ name, sha256: sha256Of(bytes), byteSize: bytes.byteLength })),
        });
      }),
    );
  });

  it('refuses an entry whose data no longer matches its CRC-32', async () => {
    const zip = Buffer.from(streamedZip([['a.jpg', Buffer.from('some photo bytes')]]));
    zip[30 + 'a.jpg'.length + 3]! ^= 0x01;
    expect(await hashEntries(zip)).toEqual({ error: 'entry a.jpg does not match its CRC-32' });
  });

  it('refuses an entry whose local header names another file than the central directory', async () => {
    const zip = Buffer.from(storedZip([['a.jpg', Buffer.from('first')], ['b.jpg', Buffer.from('second')]]));
    zip.write('z', 30); // first local header's name: "z.jpg", central directory still says "a.jpg"
    expect(await hashEntries(zip)).toEqual({ error: 'entry a.jpg has another name in its local header' });
  });

  it('refuses two entries that share bytes', async () => {
    const zip = Buffer.from(storedZip([['a.jpg', Buffer.from('same')], ['b.jpg', Buffer.from('same')]]));
    const secondRecord = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(0, secondRecord + 42); // b.jpg now points at a.jpg's local header
    expect(await hashEntries(zip)).toEqual({ error: 'entry b.jpg overlaps the entry before it' });
  });

  it('refuses compressed entries (the packager writes stored ones only)', async () => {
    const zip = zipSync({ 'a.txt': [Buffer.alloc(5000, 'a'), { level: 6 }] });
    const result = await hashEntries(zip);
    expect('error' in result && result.error).toMatch(/not stored plainly/);
  });

  it('refuses bytes that are not a ZIP, and an archive cut short', async () => {
    expect('error' in (await hashEntries(Buffer.from('definitely not a zip file, just text')))).toBe(true);
    const zip = streamedZip([['a.jpg', Buffer.alloc(4000, 7)]]);
    expect('error' in (await hashEntries(zip.subarray(0, 2000)))).toBe(true);
  });
});
