import { unzipSync, zipSync, type Zippable } from 'fflate';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import {
  domainError,
  transientError,
  type PackageFacts,
  type Packager,
  type PackagerError,
  type PackageSource,
} from '@selfie-lora/core';
import { FaultPlan } from './fault-plan.js';
import { sha256Hex, type MemoryObjectStore } from './memory-object-store.js';

/** Builds real (stored, uncompressed) ZIPs with fflate, in memory, into a MemoryObjectStore. */
export class MemoryPackager implements Packager {
  readonly faults = new FaultPlan<'build' | 'readBack'>();

  constructor(private readonly store: MemoryObjectStore) {}

  build(key: string, sources: readonly PackageSource[]): ResultAsync<PackageFacts, PackagerError> {
    if (this.faults.take('build')) return errAsync(transientError('storage.unavailable', 'injected build fault'));
    const files: Zippable = {};
    const entries = [];
    for (const source of sources) {
      const bytes = this.store.getBytes(source.key);
      if (!bytes) return errAsync(domainError('verify.object_missing', `no object ${source.key}`));
      files[source.name] = [bytes, { level: 0 }];
      entries.push({ name: source.name, sha256: sha256Hex(bytes), byteSize: bytes.byteLength });
    }
    const zip = zipSync(files);
    this.store.setBytes(key, zip);
    return okAsync({ key, sha256: sha256Hex(zip), byteSize: zip.byteLength, entries });
  }

  readBack(key: string): ResultAsync<PackageFacts, PackagerError> {
    if (this.faults.take('readBack')) return errAsync(transientError('storage.unavailable', 'injected read-back fault'));
    const zip = this.store.getBytes(key);
    if (!zip) return errAsync(domainError('package.missing', `no object ${key}`));
    let files: Record<string, Uint8Array>;
    try {
      files = unzipSync(zip);
    } catch (cause) {
      return errAsync(domainError('package.unreadable', String(cause)));
    }
    const entries = Object.entries(files).map(([name, bytes]) => ({ name, sha256: sha256Hex(bytes), byteSize: bytes.byteLength }));
    return okAsync({ key, sha256: sha256Hex(zip), byteSize: zip.byteLength, entries });
  }
}
