import yauzl from 'yauzl';
import { err, ok, type Result } from 'neverthrow';
import type { CentralEntry } from './zip-entry-hasher.js';

/**
 * Lists a ZIP's entries from its central directory (yauzl: end record, then each directory
 * record, with its checks on names and sizes). Only stored, unencrypted entries are accepted:
 * that is what the packager writes, and what can be hashed without inflating.
 */
export function readCentralDirectory(
  reader: yauzl.RandomAccessReader,
  archiveSize: number,
): Promise<Result<CentralEntry[], string>> {
  const listing = new Promise<CentralEntry[]>((resolve, reject) => {
    yauzl.fromRandomAccessReader(reader, archiveSize, { lazyEntries: true, autoClose: true, strictFileNames: true }, (openError, zip) => {
      if (openError) {
        reject(openError);
        return;
      }
      const entries: CentralEntry[] = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.compressionMethod !== 0 || entry.isEncrypted()) {
          zip.close();
          reject(new Error(`entry ${entry.fileName} is not stored plainly (method ${entry.compressionMethod})`));
          return;
        }
        entries.push({
          name: entry.fileName,
          nameRaw: new Uint8Array(entry.fileNameRaw),
          localHeaderOffset: entry.relativeOffsetOfLocalHeader,
          byteSize: entry.uncompressedSize,
          crc32: entry.crc32,
        });
        zip.readEntry();
      });
      zip.readEntry();
    });
  });
  return listing.then(
    (entries) => ok(entries),
    (cause: unknown) => err(cause instanceof Error ? cause.message : String(cause)),
  );
}
