import type { PipelineId } from '../../src/domain/ids.js';
import { entryName, packageKey, type PackageEntry, type PackageFacts } from '../../src/domain/training-package.js';
import type { TrainingSet } from '../../src/domain/training-set.js';
import { shaOf } from './ids.js';

/** The entries a faithful packager writes for a training set: one per photo, named and hashed as the photo. */
export function faithfulEntries(set: TrainingSet): PackageEntry[] {
  return set.items.map((item) => ({ name: entryName(item), sha256: item.sha256, byteSize: item.byteSize }));
}

/** What a faithful packager reports for `set` written for `pipelineId`. */
export function faithfulPackage(set: TrainingSet, pipelineId: PipelineId): PackageFacts {
  const entries = faithfulEntries(set);
  return {
    key: packageKey(set.ownerId, pipelineId),
    sha256: shaOf(`zip of ${pipelineId}`),
    byteSize: entries.reduce((total, entry) => total + entry.byteSize + 100, 22),
    entries,
  };
}
