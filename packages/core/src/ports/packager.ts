import type { ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import type { PackageFacts } from '../domain/training-package.js';

export interface PackageSource {
  /** The entry's name inside the ZIP. */
  readonly name: string;
  /** The object-store key its bytes come from. */
  readonly key: string;
}

export type PackagerError = DomainError<'storage.unavailable' | 'package.missing' | 'package.unreadable' | 'verify.object_missing'>;

export interface Packager {
  /** Streams the sources into one ZIP at `key`, hashing every entry and the whole archive. */
  build(key: string, sources: readonly PackageSource[]): ResultAsync<PackageFacts, PackagerError>;
  /** Reads the stored ZIP back (through its central directory) and reports what it really holds. */
  readBack(key: string): ResultAsync<PackageFacts, PackagerError>;
}
