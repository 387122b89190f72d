import { randomFillSync } from 'node:crypto';
import { Readable } from 'node:stream';
import type { S3ObjectStore } from '../packages/adapters/src/s3/index.js';

export const MiB = 1024 * 1024;

export interface PhotoSet {
  readonly label: string;
  readonly count: number;
  readonly bytesEach: number;
}

/** One photo of a set: its name inside a ZIP, where it lives, and what it holds. */
export interface Photo {
  readonly name: string;
  readonly key: string;
  readonly byteSize: number;
  readonly sha256: string;
}

/** The two sets, or one small set for a smoke run (`BENCH_QUICK=1`). */
export function photoSets(quick: boolean): PhotoSet[] {
  if (quick) return [{ label: '5 x 1 MiB', count: 5, bytesEach: 1 * MiB }];
  return [
    { label: '20 x 10 MiB', count: 20, bytesEach: 10 * MiB },
    { label: '50 x 20 MiB', count: 50, bytesEach: 20 * MiB },
  ];
}

export function totalBytes(set: PhotoSet): number {
  return set.count * set.bytesEach;
}

const CHUNK = 1 * MiB;

/**
 * Random bytes behind a JPEG start-of-image marker, one chunk at a time. Random data does not
 * compress, like real JPEGs, so deflate does the same work on it as on photos.
 */
function* randomChunks(byteSize: number): Generator<Uint8Array> {
  for (let sent = 0; sent < byteSize; sent += CHUNK) {
    const chunk = randomFillSync(Buffer.allocUnsafe(Math.min(CHUNK, byteSize - sent)));
    if (sent === 0) chunk.set([0xff, 0xd8, 0xff, 0xe0].slice(0, chunk.length));
    yield chunk;
  }
}

/** Streams the set into the bucket through the project's own object store (SHA-256 measured on the way). */
export async function seedPhotoSet(store: S3ObjectStore, set: PhotoSet, prefix: string): Promise<Photo[]> {
  const photos: Photo[] = [];
  for (let i = 1; i <= set.count; i += 1) {
    const name = `IMG_${String(i).padStart(4, '0')}.jpg`;
    const key = `${prefix}/${name}`;
    const facts = await store.put(key, Readable.from(randomChunks(set.bytesEach)), { maxBytes: set.bytesEach }).match(
      (put) => put,
      (error) => {
        throw new Error(`seeding ${key}: ${error.code}: ${error.detail ?? error.message}`);
      },
    );
    photos.push({ name, key, byteSize: facts.byteSize, sha256: facts.sha256 });
  }
  return photos;
}
