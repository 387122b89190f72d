import { okAsync, ResultAsync } from 'neverthrow';
import type { OwnerId, UploadId } from '../domain/ids.js';
import { uploadKey, type Upload } from '../domain/upload.js';
import {
  uploadsVerified,
  type PackagingPipeline,
  type VerifyingUploadsPipeline,
} from '../domain/training-pipeline.js';
import { verifyUploads as compare, type StoredObjectFacts } from '../domain/upload-verification.js';
import type { DomainError } from '../domain/errors.js';
import type { CoreDeps } from './core-deps.js';
import { inBatches } from './in-batches.js';

const STORAGE_CONCURRENCY = 4;

/** What storage holds under one photo's key: its measured size and hash, and the type its bytes sniff as. */
function storedFacts(deps: CoreDeps, ownerId: OwnerId, uploadId: UploadId): ResultAsync<StoredObjectFacts, DomainError> {
  return deps.objects.inspect(uploadKey(ownerId, uploadId)).andThen((facts): ResultAsync<StoredObjectFacts, DomainError> => {
    if (!facts.exists) return okAsync({ exists: false });
    return deps.images.sniff(facts.head).map((sniffedType) => ({ exists: true, byteSize: facts.byteSize, sha256: facts.sha256, sniffedType }));
  });
}

/** I2: every photo is checked in storage right before packaging: exists, size, SHA-256, type. */
export function verifyUploadsStep(
  deps: CoreDeps,
  pipeline: VerifyingUploadsPipeline,
): ResultAsync<PackagingPipeline, DomainError> {
  const items = pipeline.trainingSet.items;
  const rows = deps.uow.transaction((repos) =>
    ResultAsync.combine(items.map((item) => repos.uploads.get(pipeline.ownerId, item.uploadId))),
  );
  const objects = inBatches(items, STORAGE_CONCURRENCY, (item) => storedFacts(deps, pipeline.ownerId, item.uploadId));
  return ResultAsync.combine([rows, objects] as const).andThen(([uploads, stored]) => {
    const rowMap = new Map<UploadId, Upload>();
    const objectMap = new Map<UploadId, StoredObjectFacts>();
    items.forEach((item, index) => {
      const row = uploads[index];
      if (row) rowMap.set(item.uploadId, row);
      objectMap.set(item.uploadId, stored[index] ?? { exists: false });
    });
    return compare(pipeline.trainingSet, rowMap, objectMap).map((verified) => uploadsVerified(pipeline, verified, deps.clock.now()));
  });
}
