import { Readable } from 'node:stream';
import { ResultAsync } from 'neverthrow';
import { createMemoryCore, MemoryPipelineLeases, type MemoryCore } from '@selfie-lora/adapters/memory';
import {
  OwnerId,
  registerUpload,
  startTraining,
  type ClaimRequest,
  type CoreDeps,
  type Packager,
  type PipelineId,
  type PipelineLeases,
  type TrainingPipeline,
} from '@selfie-lora/core';
import { startWorker, type Worker } from '../../src/worker/index.js';
import { jpeg } from '../support/images.js';

export const POLL_MS = 15_000;
export const LEASE_MS = 60_000;

let seeds = 0;

/** An owner with `count` real, distinct JPEGs stored, and a training started. */
export async function startedTraining(deps: CoreDeps, owner: string, count = 2): Promise<PipelineId> {
  const ownerId = OwnerId.parse(owner)._unsafeUnwrap();
  for (let i = 0; i < count; i += 1) {
    seeds += 1;
    const bytes = await jpeg(seeds);
    const body = Readable.from([bytes]) as AsyncIterable<Uint8Array>;
    (await registerUpload(deps, { ownerId, body }))._unsafeUnwrap();
  }
  return (await startTraining(deps, { ownerId }))._unsafeUnwrap().pipeline.id;
}

/**
 * The core's packager with builds that wait for the test (a large photo set on slow S3, or a
 * call that never answers): a build `hold` picks (every one by default) writes its ZIP, then waits
 * for `open()`; the others go straight through. Counts builds and read-backs.
 */
export function gatedPackager(core: MemoryCore, hold: (build: number) => boolean = () => true) {
  let open = () => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  let builds = 0;
  let readBacks = 0;
  const packager: Packager = {
    build: (key, sources) => {
      builds += 1;
      const built = core.packager.build(key, sources);
      return hold(builds) ? built.andThen((facts) => ResultAsync.fromSafePromise(gate).map(() => facts)) : built;
    },
    readBack: (key) => {
      readBacks += 1;
      return core.packager.readBack(key);
    },
  };
  return { packager, open: () => open(), builds: () => builds, readBacks: () => readBacks };
}

export function memoryCore(options: { autoComplete?: boolean } = {}): MemoryCore {
  return createMemoryCore({ autoComplete: options.autoComplete ?? true, config: { minPhotos: 2 } });
}

export async function pipelineOf(deps: CoreDeps, id: PipelineId): Promise<TrainingPipeline> {
  const found = (await deps.uow.transaction((repos) => repos.pipelines.getById(id)))._unsafeUnwrap();
  if (!found) throw new Error(`no pipeline ${id}`);
  return found;
}

/** Waits (bounded) until `condition` holds; fails with `what` otherwise. Never asserts on how long it took. */
export async function eventually(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function statusBecomes(deps: CoreDeps, id: PipelineId, status: TrainingPipeline['status']): Promise<void> {
  await eventually(`pipeline ${id} ${status}`, async () => (await pipelineOf(deps, id)).status === status);
}

/**
 * Leases that count claims, so a test can let the worker go round a few times and see nothing
 * moved, and record renewals: the ends of the leases renewed, and any renewal by a worker of a
 * pipeline it had not claimed or had already handed back.
 */
export class CountingLeases implements PipelineLeases {
  claims = 0;
  readonly renewedUntil: Date[] = [];
  readonly strayRenewals: string[] = [];
  private readonly held = new Set<string>();
  constructor(private readonly inner: PipelineLeases) {}
  claim(request: ClaimRequest) {
    this.claims += 1;
    return this.inner.claim(request).map((ids) => {
      for (const id of ids) this.held.add(`${request.workerId}/${id}`);
      return ids;
    });
  }
  defer(request: { workerId: string; id: PipelineId; until: Date }) {
    this.held.delete(`${request.workerId}/${request.id}`);
    return this.inner.defer(request);
  }
  release(request: { workerId: string; id: PipelineId }) {
    this.held.delete(`${request.workerId}/${request.id}`);
    return this.inner.release(request);
  }
  renew(request: { workerId: string; id: PipelineId; until: Date }) {
    if (!this.held.has(`${request.workerId}/${request.id}`)) this.strayRenewals.push(`${request.workerId}/${request.id}`);
    return this.inner.renew(request).map((renewed) => {
      if (renewed) this.renewedUntil.push(request.until);
      return renewed;
    });
  }
  /** Resolves once the worker has come round `rounds` more times. */
  async rounds(rounds: number): Promise<void> {
    const target = this.claims + rounds;
    await eventually(`${rounds} more claims`, () => this.claims >= target);
  }
}

/** A worker over `deps` with a fast idle rest; errors are collected for the test to inspect. */
export function workerOver(deps: CoreDeps, leases: PipelineLeases, workerId: string, errors: unknown[] = []): Worker {
  return startWorker({
    deps,
    leases,
    workerId,
    pollIntervalMs: POLL_MS,
    leaseMs: LEASE_MS,
    idleDelayMs: 2,
    onError: (error) => errors.push(error),
  });
}

export const leasesOver = (core: MemoryCore) => new CountingLeases(new MemoryPipelineLeases(core.db));
