import { unzipSync } from 'fflate';
import { createHash } from 'node:crypto';

export interface ReceivedImages {
  /** Entry names in the order the archive lists them. */
  readonly entries: readonly string[];
  /** SHA-256 (hex) of every image entry: what a model trained on this input is made of. */
  readonly imageHashes: readonly string[];
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Same rule as the in-memory trainer: a version id is a function of the image hashes only. */
export function versionHash(imageHashes: readonly string[]): string {
  return sha256Hex([...imageHashes].sort().join('\n'));
}

function isImageEntry(name: string): boolean {
  // Caption files and directories are not training images.
  return !name.endsWith('/') && !name.toLowerCase().endsWith('.txt');
}

/**
 * Downloads the training ZIP from its URL, as the real trainer does, and hashes each image.
 * fflate's `unzipSync` walks the central directory, so stored entries are read exactly.
 */
export async function downloadTrainingImages(url: string, maxBytes: number, timeoutMs: number): Promise<ReceivedImages> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`input download answered ${response.status}`);
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new Error(`input is larger than ${maxBytes} bytes`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.byteLength > maxBytes) throw new Error(`input is larger than ${maxBytes} bytes`);
  const files = unzipSync(bytes);
  const entries = Object.keys(files);
  const imageHashes = entries.filter(isImageEntry).map((name) => sha256Hex(files[name]!));
  if (imageHashes.length === 0) throw new Error('input holds no images');
  return { entries, imageHashes };
}
