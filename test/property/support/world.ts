import { createMemoryCore, type MemoryCore } from '@selfie-lora/adapters/memory';
import {
  isActive,
  OwnerId,
  type DomainError,
  type ImageInspector,
  type PipelineId,
  type PipelineStatus,
  type TrainerReport,
  type UploadId,
} from '@selfie-lora/core';
import type { Result } from 'neverthrow';
import type { ImagePool } from './pool.js';
import { MemoizedPhotoNormaliser } from './memoized-photo-normaliser.js';

/** Small enough that trainings really happen within a few dozen commands. */
export const MIN_PHOTOS = 2;

/**
 * Owner ids share a long prefix on purpose: the incident's model names were built from 8-character
 * id prefixes, which collided.
 */
export function ownerIdOf(name: string): OwnerId {
  return OwnerId.parse(`user-1234abcd-${name}`)._unsafeUnwrap();
}

/**
 * What the owners were told (ids handed out by the core) plus a mirror of a few counts of the real
 * state, used only to choose command arguments and preconditions. Invariants never read it.
 */
export interface Model {
  readonly uploads: Record<string, UploadId[]>;
  readonly pipelines: Record<string, PipelineId[]>;
  /** Trainer trainings in submission order (with the owner they train for), and how many still run. */
  trainings: { readonly id: string; readonly owner: string }[];
  unfinished: number;
  /** Pipelines the worker would pick up: active, or ended with a package still to delete. */
  workQueue: PipelineId[];
  reports: number;
}

/** Observations of the real state across commands (I7 needs the sequence, not just the present). */
export interface Observations {
  readonly statuses: Map<string, PipelineStatus[]>;
  readonly rows: Map<string, { revision: number; json: string }>;
  /** SHA-256 of every upload row an owner ever had (rows stay as provenance after a delete). */
  readonly uploadedShas: Map<OwnerId, Set<string>>;
}

/** Counts across all runs of a property, to show the interesting paths were really taken. */
export interface Coverage {
  models: number;
  submissions: number;
  refusedUploads: number;
  foreignAttempts: number;
  forgedRefused: number;
  lateReports: number;
  /** A genuine success reported after its pipeline was canceled or failed: must make no model. */
  lateSuccesses: number;
  verificationFailures: number;
  retries: number;
}

export function emptyCoverage(): Coverage {
  return { models: 0, submissions: 0, refusedUploads: 0, foreignAttempts: 0, forgedRefused: 0, lateReports: 0, lateSuccesses: 0, verificationFailures: 0, retries: 0 };
}

export interface World {
  readonly core: MemoryCore;
  readonly pool: ImagePool;
  readonly owners: readonly string[];
  /** Every report the trainer ever produced: the webhook outbox, for late and duplicate deliveries. */
  readonly reports: TrainerReport[];
  readonly seen: Observations;
  readonly coverage: Coverage;
}

/** Shared by every run: normalising a pool photo gives the same bytes every time. */
const photos = new MemoizedPhotoNormaliser();

export function setupWorld(
  pool: ImagePool,
  owners: readonly string[],
  coverage: Coverage,
  images: ImageInspector,
): { model: Model; real: World } {
  const core = createMemoryCore({ config: { minPhotos: MIN_PHOTOS }, images, photos });
  const model: Model = {
    uploads: Object.fromEntries(owners.map((o) => [o, []])),
    pipelines: Object.fromEntries(owners.map((o) => [o, []])),
    trainings: [],
    unfinished: 0,
    workQueue: [],
    reports: 0,
  };
  const seen: Observations = { statuses: new Map(), rows: new Map(), uploadedShas: new Map() };
  return { model, real: { core, pool, owners, reports: [], seen, coverage } };
}

/** Re-reads the counts the preconditions use from the real system. */
export function syncModel(model: Model, world: World): void {
  const trainings = [...world.core.trainer.trainings.values()];
  const pipelines = world.core.db.snapshot().pipelines;
  const ownerName = (pipelineId: string) => {
    const ownerId = pipelines.find((p) => p.id === pipelineId)?.ownerId;
    return world.owners.find((name) => ownerIdOf(name) === ownerId) ?? '?';
  };
  model.trainings = trainings.map((t) => ({ id: t.id, owner: ownerName(t.pipelineId) }));
  model.unfinished = trainings.filter((t) => t.status === 'starting' || t.status === 'processing').length;
  model.reports = world.reports.length;
  model.workQueue = pipelines.filter((p) => isActive(p) || (p.package !== null && p.packageDeletedAt === null)).map((p) => p.id);
}

/** Picks the k-th of a list (negative: the latest), for arguments drawn before the list existed. */
export function pick<T>(items: readonly T[], k: number): T | undefined {
  if (items.length === 0) return undefined;
  return k < 0 ? items[items.length - 1] : items[k % items.length];
}

export function describeIndex(k: number): string {
  return k < 0 ? 'latest' : `#${k}`;
}

export function expectOk<T>(result: Result<T, DomainError>, what: string): T {
  if (result.isErr()) throw new Error(`${what}: expected success, got ${result.error.code} (${result.error.detail ?? ''})`);
  return result.value;
}

export function expectErr<T>(result: Result<T, DomainError>, what: string): DomainError {
  if (result.isOk()) throw new Error(`${what}: expected a refusal, got success`);
  return result.error;
}
