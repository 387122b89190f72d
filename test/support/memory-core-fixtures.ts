import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { Result } from 'neverthrow';
import { createMemoryCore, type MemoryCore, type MemoryTraining } from '@selfie-lora/adapters/memory';
import {
  advancePipeline,
  ownerRef,
  OwnerId,
  registerUpload,
  startTraining,
  type CoreConfig,
  type ErrorCode,
  type PipelineId,
  type PipelineStatus,
  type TrainingPipeline,
  type Upload,
} from '@selfie-lora/core';
import { photo, streamOf, type PhotoFormat } from '@selfie-lora/testkit/photos';

// Fixtures for use-case tests over the in-memory adapters: owners, photos, pipelines driven to a
// given status, and whole-state snapshots to prove a refusal left everything as it was.

export function owner(id: string): OwnerId {
  return OwnerId.parse(id)._unsafeUnwrap();
}

export const alice = owner('alice');
export const bob = owner('bob');

export function memoryCore(config: Partial<CoreConfig> = {}): MemoryCore {
  return createMemoryCore({ config: { minPhotos: 3, ...config } });
}

/** Every row and every stored object (by SHA-256 of its bytes), as of now. */
export interface StoredState {
  readonly rows: ReturnType<MemoryCore['db']['snapshot']>;
  readonly objects: Readonly<Record<string, string>>;
}

export function storedState(core: MemoryCore): StoredState {
  const objects: Record<string, string> = {};
  for (const key of core.store.keys()) {
    objects[key] = createHash('sha256').update(core.store.getBytes(key)!).digest('hex');
  }
  return { rows: core.db.snapshot(), objects };
}

/** The rows and objects that belong to one owner (keys carry the owner's opaque reference). */
export function ownersState(core: MemoryCore, ownerId: OwnerId): StoredState {
  const { rows, objects } = storedState(core);
  const ref = ownerRef(ownerId);
  return {
    rows: {
      uploads: rows.uploads.filter((u) => u.ownerId === ownerId),
      pendingUploads: rows.pendingUploads.filter((u) => u.ownerId === ownerId),
      pipelines: rows.pipelines.filter((p) => p.ownerId === ownerId),
      models: rows.models.filter((m) => m.ownerId === ownerId),
    },
    objects: Object.fromEntries(Object.entries(objects).filter(([key]) => key.split('/')[1] === ref)),
  };
}

export function expectUnchanged(core: MemoryCore, before: StoredState): void {
  expect(storedState(core)).toEqual(before);
}

/** The error code of a Result that must be an Err (fails the test with the value otherwise). */
export function errorCode<T>(result: Result<T, { readonly code: string }>): string {
  expect(result.isErr(), `expected an Err, got ${JSON.stringify(result.isOk() ? result.value : null)}`).toBe(true);
  return result._unsafeUnwrapErr().code;
}

export async function uploadPhoto(
  core: MemoryCore,
  ownerId: OwnerId,
  seed: number,
  options: { format?: PhotoFormat; width?: number; height?: number } = {},
): Promise<Upload> {
  const registered = await registerUpload(core.deps, { ownerId, body: streamOf(await photo(seed, options)) });
  return registered._unsafeUnwrap().upload;
}

export async function uploadPhotos(core: MemoryCore, ownerId: OwnerId, seeds: readonly number[]): Promise<Upload[]> {
  const uploads: Upload[] = [];
  for (const seed of seeds) uploads.push(await uploadPhoto(core, ownerId, seed));
  return uploads;
}

/** Uploads photos for `ownerId` and starts a training over them. */
export async function startedPipeline(
  core: MemoryCore,
  ownerId: OwnerId,
  seeds: readonly number[],
): Promise<{ uploads: Upload[]; pipeline: TrainingPipeline }> {
  const uploads = await uploadPhotos(core, ownerId, seeds);
  const started = await startTraining(core.deps, { ownerId });
  return { uploads, pipeline: started._unsafeUnwrap().pipeline };
}

/** Uploads photos for `ownerId`, starts a training and runs it until it waits at the trainer. */
export async function pipelineAtTrainer(
  core: MemoryCore,
  ownerId: OwnerId,
  seeds: readonly number[],
): Promise<{ uploads: Upload[]; pipeline: TrainingPipeline }> {
  const { uploads, pipeline } = await startedPipeline(core, ownerId, seeds);
  return { uploads, pipeline: await advanceTo(core, pipeline.id, 'training') };
}

/** Advances one step at a time until the pipeline is in `status` (failing if it ends elsewhere). */
export async function advanceTo(core: MemoryCore, id: PipelineId, status: PipelineStatus): Promise<TrainingPipeline> {
  for (let step = 0; step < 16; step += 1) {
    const advance = (await advancePipeline(core.deps, id))._unsafeUnwrap();
    if (advance.pipeline.status === status) return advance.pipeline;
    if (!advance.progressed) throw new Error(`pipeline ${id} stuck in ${advance.pipeline.status}, wanted ${status}`);
  }
  throw new Error(`pipeline ${id} did not reach ${status}`);
}

export function storedPipeline(core: MemoryCore, id: PipelineId): TrainingPipeline {
  const found = core.db.snapshot().pipelines.find((p) => p.id === id);
  if (!found) throw new Error(`no pipeline ${id}`);
  return found;
}

export function failureCode(pipeline: TrainingPipeline): ErrorCode | null {
  return 'failure' in pipeline ? pipeline.failure.code : null;
}

/** The trainer's training for one pipeline (exactly one must exist). */
export function trainingFor(core: MemoryCore, id: PipelineId): MemoryTraining {
  const found = [...core.trainer.trainings.values()].filter((t) => t.pipelineId === id);
  expect(found).toHaveLength(1);
  return found[0]!;
}

export function packageKeys(core: MemoryCore): string[] {
  return core.store.keys().filter((key) => key.startsWith('trainings/'));
}
