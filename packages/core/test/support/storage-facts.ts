import type { UploadId } from '../../src/domain/ids.js';
import type { StoredObjectFacts } from '../../src/domain/upload-verification.js';
import type { Upload } from '../../src/domain/upload.js';

export type ExistingObjectFacts = Extract<StoredObjectFacts, { exists: true }>;

/** What storage would report for an upload whose bytes are exactly the recorded ones. */
export function storedAsRecorded(upload: Upload): ExistingObjectFacts {
  return { exists: true, byteSize: upload.byteSize, sha256: upload.sha256, sniffedType: upload.contentType };
}

export function rowsOf(uploads: readonly Upload[]): Map<UploadId, Upload> {
  return new Map(uploads.map((upload) => [upload.id, upload]));
}

export function objectsOf(uploads: readonly Upload[]): Map<UploadId, StoredObjectFacts> {
  return new Map(uploads.map((upload) => [upload.id, storedAsRecorded(upload)]));
}
