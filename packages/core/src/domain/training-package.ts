import { err, ok, type Result } from 'neverthrow';
import { domainError, type DomainError } from './errors.js';
import { restoreVerifiedPackage } from './rehydrate.js';
import type { OwnerId, PipelineId, Sha256 } from './ids.js';
import { ownerRef } from './owner-ref.js';
import type { TrainingSet, TrainingSetItem } from './training-set.js';

declare const verified: unique symbol;

export interface PackageEntry {
  readonly name: string;
  readonly sha256: Sha256;
  readonly byteSize: number;
}

/** A ZIP as the packager says it wrote it, or as a read-back found it. */
export interface PackageFacts {
  readonly key: string;
  readonly sha256: Sha256;
  readonly byteSize: number;
  readonly entries: readonly PackageEntry[];
}

/** A package read back from storage and found to hold exactly the training set (I3). */
export type VerifiedPackage = PackageFacts & { readonly [verified]: true };

export type PackageError = DomainError<
  'package.wrong_key' | 'package.entry_count_mismatch' | 'package.entry_mismatch' | 'package.hash_mismatch'
>;

const EXTENSIONS = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' } as const;

/** Owner- and pipeline-scoped, so one pipeline's package can never be another's input (I4). */
export function packageKey(ownerId: OwnerId, pipelineId: PipelineId): string {
  return `trainings/${ownerRef(ownerId)}/${pipelineId}/training.zip`;
}

export function entryName(item: TrainingSetItem): string {
  return `${item.uploadId}.${EXTENSIONS[item.contentType]}`;
}

function isCaptionFor(name: string, imageNames: ReadonlySet<string>): boolean {
  if (!name.endsWith('.txt')) return false;
  const stem = name.slice(0, -'.txt'.length);
  return [...imageNames].some((image) => image.slice(0, image.lastIndexOf('.')) === stem);
}

/** Same count, same names, every entry's SHA-256 equal to its photo's, nothing else but captions. */
function matchEntries(set: TrainingSet, facts: PackageFacts): Result<PackageFacts, PackageError> {
  // A repeated name (photo or caption) leaves it to the unzip tool which one the trainer reads.
  const names = new Set(facts.entries.map((entry) => entry.name));
  if (names.size !== facts.entries.length) return err(domainError('package.entry_mismatch', 'repeated entry name'));
  const expected = new Map(set.items.map((item) => [entryName(item), item]));
  const images = facts.entries.filter((entry) => !isCaptionFor(entry.name, new Set(expected.keys())));
  if (images.length !== expected.size) {
    return err(domainError('package.entry_count_mismatch', `${images.length} entries for ${expected.size} photos`));
  }
  const seen = new Set<string>();
  for (const entry of images) {
    const item = expected.get(entry.name);
    if (!item || seen.has(entry.name)) return err(domainError('package.entry_mismatch', `unexpected entry ${entry.name}`));
    if (entry.sha256 !== item.sha256 || entry.byteSize !== item.byteSize) {
      return err(domainError('package.entry_mismatch', `entry ${entry.name} differs from upload ${item.uploadId}`));
    }
    seen.add(entry.name);
  }
  return ok(facts);
}

/** Checks what the packager reports having written, before anyone reads it back. */
export function checkWrittenPackage(
  set: TrainingSet,
  pipelineId: PipelineId,
  written: PackageFacts,
): Result<PackageFacts, PackageError> {
  if (written.key !== packageKey(set.ownerId, pipelineId)) {
    return err(domainError('package.wrong_key', `written to ${written.key}`));
  }
  return matchEntries(set, written);
}

/** The read-back must match both the training set and the written package byte for byte. */
export function verifyPackage(
  set: TrainingSet,
  pipelineId: PipelineId,
  written: PackageFacts,
  readBack: PackageFacts,
): Result<VerifiedPackage, PackageError> {
  if (readBack.key !== written.key || written.key !== packageKey(set.ownerId, pipelineId)) {
    return err(domainError('package.wrong_key', `read back ${readBack.key}, written ${written.key}`));
  }
  if (readBack.sha256 !== written.sha256 || readBack.byteSize !== written.byteSize) {
    return err(domainError('package.hash_mismatch', `stored zip sha256 ${readBack.sha256} != written ${written.sha256}`));
  }
  return matchEntries(set, readBack).map((facts) => restoreVerifiedPackage(facts));
}

/**
 * How long the trainer may take to start downloading a package: long enough for a queued
 * trainer, short enough that a leaked URL soon stops working (the ZIP is deleted at clean-up anyway).
 */
export const DEFAULT_PACKAGE_URL_TTL_SECONDS = 3600;
