import type { MemoryCore } from '@selfie-lora/adapters/memory';
import {
  errorMessages,
  isAllowedTransition,
  OwnerId,
  PIPELINE_STATUSES,
  uploadKey,
  type CoreDeps,
  type PipelineStatus,
  type StartedTraining,
  type TrainingPipeline,
  type UploadId,
} from '@selfie-lora/core';
import type { DeletedUpload, RegisteredUpload } from '@selfie-lora/core';
import { describeCommand, type Call } from './concurrent-commands.js';
import type { ImagePool } from './pool.js';
import { ACTIVE_STATUSES, type PipelineRow, type Rows } from './postgres-rows.js';
import { ownerIdOf } from './world.js';

export class Violation extends Error {
  constructor(invariant: string, detail: string) {
    super(`${invariant} violated: ${detail}`);
    this.name = 'Violation';
  }
}

function violated(invariant: string, detail: string): never {
  throw new Violation(invariant, detail);
}

// ---------------------------------------------------------------------------------------------
// Answers: every call ends in a value or an error from the core's table, and says what happened.

/**
 * The refusals each use case may give when called legally on one's own resources while other
 * requests and the worker run. The worker's step and a webhook may lose an optimistic race
 * (`persistence.conflict`): the worker comes back to the pipeline and the trainer redelivers.
 */
const EXPECTED_REFUSALS: Readonly<Record<Call['useCase'], readonly string[]>> = {
  upload: [],
  delete: [],
  start: ['training.not_enough_photos', 'training.already_active'],
  cancel: ['training.already_finished'],
  restart: ['training.not_restartable', 'training.already_active', 'training.not_enough_photos'],
  work: [],
  finish: [],
  advance: ['persistence.conflict'],
  webhook: ['persistence.conflict'],
};

/** Another owner's id is simply not found, whatever state it is in. */
const FOREIGN_REFUSAL: Partial<Record<Call['useCase'], string>> = {
  delete: 'upload.not_found',
  cancel: 'training.not_found',
  restart: 'training.not_found',
};

function describeCall(call: Call): string {
  return `${describeCommand(call.command)}${call.target === null ? '' : ` [${call.target}]`}`;
}

function foreign(call: Call): boolean {
  const { command } = call;
  return 'actor' in command && command.actor !== command.owner;
}

function checkAnswerShape(call: Call): void {
  const { answer } = call;
  const what = describeCall(call);
  if ('thrown' in answer) violated('answers', `${what} threw instead of answering a Result: ${answer.thrown}`);
  if (answer.ok) {
    if (foreign(call)) violated('isolation', `${what} acted on another owner's resource: ${JSON.stringify(answer.value)}`);
    return;
  }
  const detail = `${answer.code}${answer.detail === undefined ? '' : ` (${answer.detail})`}`;
  if (!(answer.code in errorMessages)) violated('answers', `${what} answered a code that is not in the core's error table: ${detail}`);
  if (answer.message !== errorMessages[answer.code as keyof typeof errorMessages]) {
    violated('answers', `${what} answered ${answer.code} with a message that is not the table's: ${answer.message}`);
  }
  if (answer.code === 'persistence.constraint') violated('schema', `the schema refused ${what}, which was called legally: ${detail}`);
  if (foreign(call)) {
    if (answer.code !== FOREIGN_REFUSAL[call.useCase]) violated('isolation', `${what} on another owner's id answered ${detail}`);
    return;
  }
  if (!EXPECTED_REFUSALS[call.useCase].includes(answer.code)) violated('answers', `${what} answered ${detail}`);
}

function okValue<T>(call: Call): T | null {
  return 'ok' in call.answer && call.answer.ok && !foreign(call) ? (call.answer.value as T) : null;
}

function refusal(call: Call): string | null {
  return 'ok' in call.answer && !call.answer.ok ? call.answer.code : null;
}

/**
 * What each successful answer says agrees with the rows after the batch, and the Idempotency-Key
 * promise holds: every request of one owner with one key answers the one pipeline that key made.
 */
function checkAnswerContent(calls: readonly Call[], before: Rows, after: Rows, pool: ImagePool): void {
  const afterById = new Map(after.pipelines.map((p) => [p.id, p]));
  const beforeIds = new Set(before.pipelines.map((p) => p.id));
  const keyed = new Map<string, Set<string>>();
  for (const call of calls) {
    const what = describeCall(call);
    const { command } = call;
    switch (command.kind) {
      case 'upload': {
        const registered = okValue<RegisteredUpload>(call);
        if (!registered) break;
        if (registered.upload.ownerId !== ownerIdOf(command.owner)) violated('I1', `${what} answered an upload of ${registered.upload.ownerId}`);
        if (registered.upload.sourceSha256 !== pool.photos[command.photo]!.sha256) violated('answers', `${what} answered an upload of other bytes`);
        if (!after.uploads.some((u) => u.id === registered.upload.id)) violated('answers', `${what} answered upload ${registered.upload.id}, which has no row`);
        break;
      }
      case 'delete': {
        const deleted = okValue<DeletedUpload>(call);
        if (!deleted) break;
        const row = after.uploads.find((u) => u.id === call.target);
        if (deleted.upload.id !== call.target || row?.status !== 'deleted') violated('answers', `${what} answered success, the row says ${row?.status ?? 'nothing'}`);
        if (deleted.canceled) {
          const canceled = afterById.get(deleted.canceled.id);
          if (canceled?.status !== 'canceled') violated('answers', `${what} says it canceled ${deleted.canceled.id}, which is ${canceled?.status ?? 'missing'}`);
          if (!after.items.some((i) => i.pipelineId === canceled.id && i.uploadId === call.target)) {
            violated('answers', `${what} canceled ${canceled.id}, which does not use that photo`);
          }
        }
        break;
      }
      case 'start': {
        const ownerId = ownerIdOf(command.owner);
        const started = okValue<StartedTraining>(call);
        if (started) {
          const p = started.pipeline;
          if (p.ownerId !== ownerId) violated('I1', `${what} answered pipeline ${p.id} of ${p.ownerId}`);
          if (!afterById.has(p.id)) violated('answers', `${what} answered pipeline ${p.id}, which has no row`);
          if (started.created && (p.status !== 'queued' || p.idempotencyKey !== command.key)) {
            violated('answers', `${what} created ${p.id} as ${p.status} with key ${String(p.idempotencyKey)}`);
          }
          if (!started.created && (command.key === null || p.idempotencyKey !== command.key)) {
            violated('idempotency', `${what} answered an earlier pipeline ${p.id} (key ${String(p.idempotencyKey)}) that is not its key's`);
          }
          if (command.key !== null) {
            const group = `${command.owner}/${command.key}`;
            keyed.set(group, (keyed.get(group) ?? new Set()).add(p.id));
            if (started.created && before.pipelinesOf(ownerId).some((q) => q.idempotencyKey === command.key)) {
              violated('idempotency', `${what} created ${p.id} although its key had made a pipeline before`);
            }
          }
        } else if (command.key !== null && refusal(call) === 'training.already_active') {
          // Refused as already active: some pipeline other than this key's was active meanwhile. If
          // every pipeline that could have been active (active before, or made in this batch) carries
          // this very key, the refusal was against the request's own repeat, which it must answer.
          const candidates = [
            ...before.pipelinesOf(ownerId).filter((p) => ACTIVE_STATUSES.has(p.status)),
            ...after.pipelinesOf(ownerId).filter((p) => !beforeIds.has(p.id)),
          ];
          if (candidates.every((p) => p.idempotencyKey === command.key)) {
            violated(
              'idempotency',
              `${what} answered training.already_active, but the only pipeline(s) it could have met are its own key's: ${
                candidates.map((p) => `${p.id} (${p.status}, key ${String(p.idempotencyKey)})`).join(', ') || 'none'
              }`,
            );
          }
        }
        break;
      }
      case 'cancel': {
        const canceled = okValue<TrainingPipeline>(call);
        if (canceled && (canceled.id !== call.target || canceled.status !== 'canceled' || afterById.get(canceled.id)?.status !== 'canceled')) {
          violated('answers', `${what} answered ${canceled.id} ${canceled.status}; the row is ${afterById.get(canceled.id)?.status ?? 'missing'}`);
        }
        break;
      }
      case 'restart': {
        const restarted = okValue<TrainingPipeline>(call);
        if (restarted) {
          const row = afterById.get(restarted.id);
          if (!row || row.restartOf !== call.target || row.ownerId !== ownerIdOf(command.owner) || restarted.status !== 'queued') {
            violated('answers', `${what} answered ${restarted.id}, whose row is ${JSON.stringify(row ?? null)}`);
          }
        }
        break;
      }
      case 'work':
      case 'finish':
        break;
    }
  }
  for (const [group, ids] of keyed) {
    const [owner, key] = group.split('/') as [string, string];
    const stored = after.pipelinesOf(ownerIdOf(owner)).filter((p) => p.idempotencyKey === key);
    if (ids.size > 1) violated('idempotency', `${owner}'s requests with key ${key} answered different pipelines: ${[...ids].join(', ')}`);
    if (stored.length !== 1 || !ids.has(stored[0]!.id)) {
      violated('idempotency', `${owner}'s key ${key} answered ${[...ids].join(', ')}, the rows hold ${stored.map((p) => p.id).join(', ') || 'none'}`);
    }
  }
}

export function checkAnswers(calls: readonly Call[], before: Rows, after: Rows, pool: ImagePool): void {
  for (const call of calls) checkAnswerShape(call);
  checkAnswerContent(calls, before, after, pool);
}

// ---------------------------------------------------------------------------------------------
// Rows: the invariants, on what Postgres holds after the batch.

/** Statuses reachable from `from` along the allowed edges (several may be taken in one batch). */
function reachable(from: PipelineStatus): Set<PipelineStatus> {
  const seen = new Set<PipelineStatus>([from]);
  const queue = [from];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const next of PIPELINE_STATUSES) {
      if (!seen.has(next) && isAllowedTransition(current, next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

/** What earlier batches saw of each row, for I7 (status only along edges, no unrevised change). */
export type History = Map<string, { readonly status: string; readonly revision: number }>;

function checkHistory(rows: Rows, history: History): void {
  const now = new Set<string>();
  const seen = (key: string, status: string, revision: number, edges: boolean) => {
    now.add(key);
    const before = history.get(key);
    if (before) {
      if (revision < before.revision) violated('I7', `${key} went back from revision ${before.revision} to ${revision}`);
      if (status !== before.status && revision === before.revision) violated('I7', `${key} moved ${before.status} -> ${status} without a new revision`);
      if (edges && !reachable(before.status as PipelineStatus).has(status as PipelineStatus)) {
        violated('I7', `${key} moved ${before.status} -> ${status}, which no path of allowed edges leads to`);
      }
    } else if (edges && !reachable('queued').has(status as PipelineStatus)) {
      violated('I7', `${key} first seen as ${status}`);
    }
    history.set(key, { status, revision });
  };
  for (const p of rows.pipelines) seen(`pipeline ${p.id}`, p.status, p.revision, true);
  for (const u of rows.uploads) seen(`upload ${u.id}`, u.status, u.revision, false);
  for (const m of rows.models) seen(`model ${m.id}`, 'stored', 0, false);
  for (const key of history.keys()) {
    if (!now.has(key)) violated('provenance', `${key} disappeared from the database`);
  }
}

export function checkRows(rows: Rows, history: History, minPhotos: number): void {
  const uploadById = new Map(rows.uploads.map((u) => [u.id, u]));
  const pipelineById = new Map(rows.pipelines.map((p) => [p.id, p]));
  const itemsOf = new Map<string, typeof rows.items>();
  for (const item of rows.items) itemsOf.set(item.pipelineId, [...(itemsOf.get(item.pipelineId) ?? []), item]);

  // I8: at most one active pipeline per owner.
  const activeOf = new Map<string, PipelineRow[]>();
  for (const p of rows.pipelines.filter((q) => ACTIVE_STATUSES.has(q.status))) activeOf.set(p.ownerId, [...(activeOf.get(p.ownerId) ?? []), p]);
  for (const [ownerId, active] of activeOf) {
    if (active.length > 1) violated('I8', `${ownerId} has ${active.length} active pipelines: ${active.map((p) => `${p.id} (${p.status})`).join(', ')}`);
  }

  for (const p of rows.pipelines) {
    // I1 (and I2's size): the whole set, of the pipeline owner's uploads, each once.
    const items = itemsOf.get(p.id) ?? [];
    if (items.length !== p.itemCount || items.length < minPhotos) violated('I1', `pipeline ${p.id} holds ${items.length} items, records ${p.itemCount}, needs ${minPhotos}`);
    if (new Set(items.map((i) => i.uploadId)).size !== items.length) violated('I1', `pipeline ${p.id} lists a photo twice`);
    for (const item of items) {
      const upload = uploadById.get(item.uploadId);
      if (item.ownerId !== p.ownerId || upload?.ownerId !== p.ownerId) {
        violated('I1', `pipeline ${p.id} of ${p.ownerId} holds upload ${item.uploadId} of ${upload?.ownerId ?? 'nobody'}`);
      }
      // Privacy wins: a deleted photo is never in the set of a pipeline still running.
      if (ACTIVE_STATUSES.has(p.status) && upload.status !== 'stored') {
        violated('delete', `pipeline ${p.id} is ${p.status} with deleted upload ${upload.id} in its training set`);
      }
    }
    if (p.restartOf !== null) {
      const previous = pipelineById.get(p.restartOf);
      if (previous?.ownerId !== p.ownerId || !['failed', 'canceled'].includes(previous.status)) {
        violated('restart', `pipeline ${p.id} restarts ${p.restartOf}, which is ${previous ? `${previous.status} of ${previous.ownerId}` : 'missing'}`);
      }
    }
  }

  // I6: every model comes from a succeeded pipeline of its owner, with that pipeline's non-empty set.
  for (const m of rows.models) {
    const p = pipelineById.get(m.pipelineId);
    if (!p) violated('I6', `model ${m.id} references no pipeline (${m.pipelineId})`);
    if (p.ownerId !== m.ownerId) violated('I6', `model ${m.id} of ${m.ownerId} comes from pipeline ${p.id} of ${p.ownerId}`);
    if (p.status !== 'succeeded') violated('I6', `model ${m.id} comes from pipeline ${p.id}, which is ${p.status}`);
    const items = (itemsOf.get(p.id) ?? []).map((i) => i.uploadId);
    const set = m.trainingSet.map((i) => i.uploadId);
    if (items.length === 0 || JSON.stringify(set) !== JSON.stringify(items)) {
      violated('I6', `model ${m.id} was trained on [${set.join(', ')}], pipeline ${p.id} holds [${items.join(', ')}]`);
    }
    for (const item of m.trainingSet) {
      if (uploadById.get(item.uploadId)?.ownerId !== m.ownerId) violated('I6', `model ${m.id} of ${m.ownerId} holds upload ${item.uploadId} of another owner`);
    }
  }
  for (const p of rows.pipelines) {
    const models = rows.models.filter((m) => m.pipelineId === p.id).length;
    if ((p.status === 'succeeded' ? 1 : 0) !== models) violated('I6', `pipeline ${p.id} is ${p.status} with ${models} model(s)`);
  }

  // One pipeline per owner and Idempotency-Key; one stored upload per owner and content.
  const unique = (invariant: string, keys: readonly string[]) => {
    const seen = new Set<string>();
    for (const key of keys) {
      if (seen.has(key)) violated(invariant, `${key} twice`);
      seen.add(key);
    }
  };
  unique('idempotency', rows.pipelines.filter((p) => p.idempotencyKey !== null).map((p) => `pipelines of ${p.ownerId} with key ${p.idempotencyKey}`));
  unique('dedup', rows.uploads.filter((u) => u.status === 'stored').map((u) => `stored uploads of ${u.ownerId} with sha256 ${u.sha256}`));

  checkHistory(rows, history);
}

/** Deleted photos' bytes are gone; stored ones are there. */
export function checkStorage(rows: Rows, core: MemoryCore): void {
  const keys = new Set(core.store.keys());
  for (const u of rows.uploads) {
    const key = uploadKey(OwnerId.parse(u.ownerId)._unsafeUnwrap(), u.id as UploadId);
    if (u.status === 'deleted' && keys.has(key)) violated('delete', `deleted upload ${u.id} still has its bytes at ${key}`);
    if (u.status === 'stored' && !keys.has(key)) violated('storage', `stored upload ${u.id} has no bytes at ${key}`);
  }
}

/** The adapter reads back every row the SQL sees, as the core's types (nothing corrupt, nothing missing). */
export async function checkRepositories(deps: CoreDeps, owners: readonly string[], rows: Rows): Promise<void> {
  for (const owner of owners) {
    const ownerId = ownerIdOf(owner);
    const read = await deps.uow.transaction((repos) =>
      repos.uploads
        .listByOwner(ownerId, { includeDeleted: true })
        .andThen((uploads) => repos.pipelines.listByOwner(ownerId).map((pipelines) => ({ uploads, pipelines })))
        .andThen((found) => repos.models.listByOwner(ownerId).map((models) => ({ ...found, models }))),
    );
    if (read.isErr()) violated('persistence', `reading ${owner}'s rows through the repositories failed: ${read.error.code} ${read.error.detail ?? ''}`);
    const ids = (list: readonly { readonly id: string }[]) => list.map((x) => x.id).sort().join(',');
    const { uploads, pipelines, models } = read.value;
    if (ids(uploads) !== ids(rows.uploadsOf(ownerId))) violated('persistence', `${owner}'s uploads read back as [${ids(uploads)}]`);
    if (ids(pipelines) !== ids(rows.pipelinesOf(ownerId))) violated('persistence', `${owner}'s pipelines read back as [${ids(pipelines)}]`);
    if (ids(models) !== ids(rows.models.filter((m) => m.ownerId === ownerId))) violated('persistence', `${owner}'s models read back as [${ids(models)}]`);
    for (const p of pipelines) {
      const row = rows.pipelines.find((q) => q.id === p.id)!;
      if (p.status !== row.status || p.revision !== row.revision) violated('persistence', `pipeline ${p.id} reads back as ${p.status}@${p.revision}, the row is ${row.status}@${row.revision}`);
    }
  }
}
