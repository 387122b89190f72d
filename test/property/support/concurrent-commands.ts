import fc from 'fast-check';
import type { ResultAsync } from 'neverthrow';
import {
  advancePipeline,
  applyTrainerReport,
  cancelTraining,
  deleteUpload,
  registerUpload,
  restartTraining,
  startTraining,
  type CoreDeps,
  type DomainError,
  type PipelineId,
  type UploadId,
} from '@selfie-lora/core';
import type { MemoryCore } from '@selfie-lora/adapters/memory';
import { streamOf } from '@selfie-lora/testkit/photos';
import type { ImagePool } from './pool.js';
import type { Rows } from './postgres-rows.js';
import { ownerIdOf } from './world.js';

// Commands of the Postgres concurrency property: what people and the worker do, as plain data
// that fast-check generates and shrinks. A batch of them runs at once (Promise.all) over one
// real PostgresDatabase; which row each one targets is settled from the rows before the batch.

export type Command =
  | { readonly kind: 'upload'; readonly owner: string; readonly photo: number }
  /** `actor` deletes the k-th upload (deleted ones included) of `owner`: own, or another's id. */
  | { readonly kind: 'delete'; readonly actor: string; readonly owner: string; readonly upload: number }
  | { readonly kind: 'start'; readonly owner: string; readonly key: string | null }
  | { readonly kind: 'cancel'; readonly actor: string; readonly owner: string; readonly pipeline: number }
  | { readonly kind: 'restart'; readonly actor: string; readonly owner: string; readonly pipeline: number }
  /** A worker holding the lease of the owner's k-th pipeline advances it up to `steps` times while it progresses. */
  | { readonly kind: 'work'; readonly owner: string; readonly pipeline: number; readonly steps: number }
  /** The trainer ends the k-th running training (any owner's); its webhook arrives `webhooks` times, side by side. */
  | { readonly kind: 'finish'; readonly training: number; readonly outcome: 'succeeded' | 'failed' | 'canceled'; readonly webhooks: number };

export type Kind = Command['kind'];

/** The use cases a batch calls; a test may swap one for a broken copy to show the checks catch it. */
export interface UseCases {
  readonly registerUpload: typeof registerUpload;
  readonly deleteUpload: typeof deleteUpload;
  readonly startTraining: typeof startTraining;
  readonly cancelTraining: typeof cancelTraining;
  readonly restartTraining: typeof restartTraining;
  readonly advancePipeline: typeof advancePipeline;
  readonly applyTrainerReport: typeof applyTrainerReport;
}

export const coreUseCases: UseCases = {
  registerUpload,
  deleteUpload,
  startTraining,
  cancelTraining,
  restartTraining,
  advancePipeline,
  applyTrainerReport,
};

function at(index: number): string {
  return index < 0 ? 'latest' : `#${index}`;
}

export function describeCommand(c: Command): string {
  const whose = (actor: string, owner: string) => (actor === owner ? `${owner}.` : `${actor} on ${owner}'s `);
  switch (c.kind) {
    case 'upload':
      return `${c.owner}.upload(photo${c.photo})`;
    case 'delete':
      return `${whose(c.actor, c.owner)}delete(upload ${at(c.upload)})`;
    case 'start':
      return `${c.owner}.start(${c.key === null ? '' : `Idempotency-Key: ${c.key}`})`;
    case 'cancel':
      return `${whose(c.actor, c.owner)}cancel(pipeline ${at(c.pipeline)})`;
    case 'restart':
      return `${whose(c.actor, c.owner)}restart(pipeline ${at(c.pipeline)})`;
    case 'work':
      return `worker(${c.owner}'s pipeline ${at(c.pipeline)}, up to ${c.steps} step${c.steps === 1 ? '' : 's'})`;
    case 'finish':
      return `trainer.finish(running training ${at(c.training)}, ${c.outcome}, webhook x${c.webhooks})`;
  }
}

/** Commands print as what they do, so a counterexample reads as a story. */
export function printable(command: Command): Command {
  const describe = () => describeCommand(command);
  const printer: object = Object.create({ [fc.toStringMethod]: describe, toString: describe }) as object;
  return Object.assign(printer, command);
}

const index = fc.oneof({ arbitrary: fc.constant(-1), weight: 3 }, { arbitrary: fc.nat({ max: 3 }), weight: 1 });

export interface CommandOptions {
  readonly owners: readonly string[];
  readonly pool: ImagePool;
  /** Idempotency-Keys a start may carry (null: none). */
  readonly keys?: readonly (string | null)[];
}

export function commandArb({ owners, pool, keys = [null, 'k1', 'k2'] }: CommandOptions): fc.Arbitrary<Command> {
  const owner = fc.constantFrom(...owners);
  // Mostly one's own resources; now and then another owner's id (must answer not found).
  const actorOn = owner.chain((target) =>
    fc.oneof({ arbitrary: fc.constant(target), weight: 5 }, { arbitrary: fc.constantFrom(...owners), weight: 1 }).map((actor) => ({ actor, owner: target })),
  );
  const w = (weight: number, arbitrary: fc.Arbitrary<Command>) => ({ weight, arbitrary });
  return fc
    .oneof(
      w(2, fc.record({ kind: fc.constant('upload' as const), owner, photo: fc.nat({ max: pool.photos.length - 1 }) })),
      w(1, fc.tuple(actorOn, index).map(([a, upload]): Command => ({ kind: 'delete', ...a, upload }))),
      w(3, fc.record({ kind: fc.constant('start' as const), owner, key: fc.constantFrom(...keys) })),
      w(1, fc.tuple(actorOn, index).map(([a, pipeline]): Command => ({ kind: 'cancel', ...a, pipeline }))),
      w(2, fc.tuple(actorOn, index).map(([a, pipeline]): Command => ({ kind: 'restart', ...a, pipeline }))),
      w(8, fc.record({ kind: fc.constant('work' as const), owner, pipeline: index, steps: fc.integer({ min: 2, max: 6 }) })),
      w(
        3,
        fc.record({
          kind: fc.constant('finish' as const),
          training: index,
          outcome: fc.constantFrom('succeeded', 'succeeded', 'failed', 'canceled' as const),
          webhooks: fc.integer({ min: 0, max: 2 }),
        }),
      ),
    )
    .map(printable);
}

/** A batch: commands sent at once; a command may be sent twice or three times (a double click, a retried request). */
export function batchArb(command: fc.Arbitrary<Command>): fc.Arbitrary<Command[]> {
  const copies = fc.oneof({ arbitrary: fc.constant(1), weight: 4 }, { arbitrary: fc.integer({ min: 2, max: 3 }), weight: 1 });
  return fc
    .array(fc.tuple(command, copies), { minLength: 1, maxLength: 5 })
    .map((entries) => entries.flatMap(([command, n]) => Array.from({ length: n }, () => command)));
}

// ---------------------------------------------------------------------------------------------

/** What one call answered: a value, an error value, or (never allowed) a throw or a rejection. */
export type Answer =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly detail: string | undefined }
  | { readonly thrown: string };

export interface Call {
  readonly command: Command;
  /** The use case called (a `work` or `finish` command makes several calls). */
  readonly useCase: Kind | 'advance' | 'webhook';
  /** What the command was resolved to before the batch ran. */
  readonly target: string | null;
  readonly answer: Answer;
}

type CallResult = ResultAsync<unknown, DomainError>;

async function answerOf(call: () => CallResult): Promise<Answer> {
  try {
    const result = await call();
    if (result.isOk()) return { ok: true, value: result.value };
    const { code, message, detail } = result.error;
    return { ok: false, code, message, detail };
  } catch (thrown) {
    return { thrown: thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown) };
  }
}

function pick<T>(items: readonly T[], k: number): T | undefined {
  if (items.length === 0) return undefined;
  return k < 0 ? items[items.length - 1] : items[k % items.length];
}

export interface BatchContext {
  readonly deps: CoreDeps;
  readonly core: MemoryCore;
  readonly pool: ImagePool;
  readonly useCases: UseCases;
}

/** A command with its target settled, ready to run; null when it has nothing to act on (skipped). */
type Prepared = (() => Promise<Call[]>) | null;

function prepare(ctx: BatchContext, rows: Rows, command: Command, leased: Set<string>): Prepared {
  const { deps, useCases } = ctx;
  const single = (useCase: Call['useCase'], target: string | null, call: () => CallResult) => async () => [
    { command, useCase, target, answer: await answerOf(call) },
  ];
  switch (command.kind) {
    case 'upload': {
      const photo = ctx.pool.photos[command.photo]!;
      return single('upload', photo.label, () => useCases.registerUpload(deps, { ownerId: ownerIdOf(command.owner), body: streamOf(photo.bytes) }));
    }
    case 'delete': {
      const upload = pick(rows.uploadsOf(ownerIdOf(command.owner)), command.upload);
      if (!upload) return null;
      return single('delete', upload.id, () =>
        useCases.deleteUpload(deps, { ownerId: ownerIdOf(command.actor), uploadId: upload.id as UploadId }),
      );
    }
    case 'start':
      return single('start', null, () =>
        useCases.startTraining(deps, { ownerId: ownerIdOf(command.owner), ...(command.key === null ? {} : { idempotencyKey: command.key }) }),
      );
    case 'cancel':
    case 'restart': {
      const pipeline = pick(rows.pipelinesOf(ownerIdOf(command.owner)), command.pipeline);
      if (!pipeline) return null;
      const input = { ownerId: ownerIdOf(command.actor), pipelineId: pipeline.id as PipelineId };
      return command.kind === 'cancel'
        ? single('cancel', pipeline.id, () => useCases.cancelTraining(deps, input))
        : single('restart', pipeline.id, () => useCases.restartTraining(deps, input));
    }
    case 'work': {
      const pipeline = pick(rows.pipelinesOf(ownerIdOf(command.owner)), command.pipeline);
      // One worker per pipeline at a time: the lease (PipelineLeases) sees to that in the service.
      if (!pipeline || leased.has(pipeline.id)) return null;
      leased.add(pipeline.id);
      return async () => {
        const calls: Call[] = [];
        for (let step = 0; step < command.steps; step += 1) {
          const answer = await answerOf(() => useCases.advancePipeline(deps, pipeline.id as PipelineId));
          calls.push({ command, useCase: 'advance', target: pipeline.id, answer });
          if (!('ok' in answer) || !answer.ok || !(answer.value as { progressed: boolean }).progressed) break;
        }
        return calls;
      };
    }
    case 'finish': {
      // Trainings still running at the trainer, in submission order (their pipelines may have ended).
      const running = [...ctx.core.trainer.trainings.values()].filter((t) => t.status === 'starting' || t.status === 'processing');
      const training = pick(running, command.training);
      if (!training || leased.has(training.id)) return null;
      leased.add(training.id);
      return async () => {
        const report = ctx.core.trainer.finish(training.id, command.outcome);
        const deliveries = Array.from({ length: command.webhooks }, async (): Promise<Call> => ({
          command,
          useCase: 'webhook',
          target: training.pipelineId,
          answer: await answerOf(() => useCases.applyTrainerReport(deps, report)),
        }));
        return Promise.all(deliveries);
      };
    }
  }
}

/** Settles every command's target from `rows`, then runs the batch at once. */
export async function runBatch(ctx: BatchContext, rows: Rows, batch: readonly Command[]): Promise<{ calls: Call[]; skipped: number }> {
  const leased = new Set<string>();
  const prepared = batch.map((command) => prepare(ctx, rows, command, leased));
  const runs = prepared.filter((p): p is NonNullable<Prepared> => p !== null);
  const calls = (await Promise.all(runs.map((run) => run()))).flat();
  return { calls, skipped: prepared.length - runs.length };
}
