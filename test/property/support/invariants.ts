import {
  destinationFor,
  destinationRef,
  isActive,
  isAllowedTransition,
  ownerRef,
  packageKey,
  uploadKey,
  type Model,
  type OwnerId,
  type TrainingPipeline,
  type Upload,
} from '@selfie-lora/core';
import type { MemoryTraining } from '@selfie-lora/adapters/memory';
import { MIN_PHOTOS, ownerIdOf, type World } from './world.js';

class InvariantViolation extends Error {
  constructor(invariant: string, detail: string) {
    super(`${invariant} violated: ${detail}`);
    this.name = 'InvariantViolation';
  }
}

function violated(invariant: string, detail: string): never {
  throw new InvariantViolation(invariant, detail);
}

const PAST_UPLOAD_VERIFICATION = new Set(['packaging', 'verifying_package', 'submitting', 'training', 'succeeded']);

// Keys and destinations hash the owner id (ownerRef): pure, so remembered across checks.
const memo = new Map<string, string>();
function remembered(key: string, compute: () => string): string {
  let value = memo.get(key);
  if (value === undefined) {
    value = compute();
    memo.set(key, value);
  }
  return value;
}
const uploadKeyOf = (u: Upload) => remembered(`u:${u.ownerId}:${u.id}`, () => uploadKey(u.ownerId, u.id));
const packageKeyOf = (p: TrainingPipeline) => remembered(`p:${p.ownerId}:${p.id}`, () => packageKey(p.ownerId, p.id));
const destinationOf = (world: World, ownerId: OwnerId) =>
  remembered(`d:${ownerId}`, () => destinationRef(destinationFor(world.core.deps.config.destinationStrategy, ownerId)));

const sorted = (values: readonly string[]): string[] => [...values].sort();
const same = (a: readonly string[], b: readonly string[]): boolean => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

/** The object key a memory:// signed URL points at. */
function keyOfSignedUrl(url: string): string | null {
  const match = /^memory:\/\/objects\/([^?]+)\?/.exec(url);
  return match ? decodeURIComponent(match[1] ?? '') : null;
}

interface State {
  readonly uploads: readonly Upload[];
  readonly pipelines: readonly TrainingPipeline[];
  readonly models: readonly Model[];
  readonly pipelineById: ReadonlyMap<string, TrainingPipeline>;
  readonly uploadById: ReadonlyMap<string, Upload>;
  readonly trainings: readonly MemoryTraining[];
  readonly keys: readonly string[];
}

function readState(world: World): State {
  const snap = world.core.db.snapshot();
  return {
    ...snap,
    pipelineById: new Map(snap.pipelines.map((p) => [p.id, p])),
    uploadById: new Map(snap.uploads.map((u) => [u.id, u])),
    trainings: [...world.core.trainer.trainings.values()],
    keys: world.core.store.keys(),
  };
}

/** I7 needs history: records every pipeline's status sequence and every row's revision. */
function observe(world: World, state: State): void {
  const { statuses, rows, uploadedShas } = world.seen;
  for (const p of state.pipelines) {
    const history = statuses.get(p.id);
    if (!history) {
      if (p.status !== 'queued') violated('I7', `pipeline ${p.id} first seen as ${p.status}, not queued`);
      statuses.set(p.id, [p.status]);
    } else {
      const last = history.at(-1)!;
      if (last !== p.status) {
        if (!isAllowedTransition(last, p.status)) violated('I7', `pipeline ${p.id} moved ${last} -> ${p.status} (history ${history.join(' > ')})`);
        history.push(p.status);
      }
    }
  }
  for (const id of statuses.keys()) {
    if (!state.pipelineById.has(id)) violated('I7', `pipeline ${id} disappeared`);
  }
  const current = new Set<string>();
  const rowsNow = [
    ...state.pipelines.map((row) => ['pipeline', row] as const),
    ...state.uploads.map((row) => ['upload', row] as const),
    ...state.models.map((row) => ['model', row] as const),
  ];
  for (const [kind, row] of rowsNow) {
    const key = `${kind}:${row.id}`;
    current.add(key);
    // Upload rows are many and small: their mutable part is enough to spot an unrevised change.
    const json = kind === 'upload' ? `${row.status}|${row.deletedAt?.getTime() ?? ''}|${row.sha256}|${row.ownerId}` : JSON.stringify(row);
    const before = rows.get(key);
    if (before) {
      if (row.revision < before.revision) violated('I7', `${key} went back from revision ${before.revision} to ${row.revision}`);
      if (json !== before.json && row.revision === before.revision) violated('I7', `${key} changed without a new revision (lost update)`);
    }
    if (!before && kind === 'model') world.coverage.models += 1;
    rows.set(key, { revision: row.revision, json });
  }
  for (const key of rows.keys()) {
    // Upload rows stay as provenance and models are quarantined, never deleted.
    if (!current.has(key)) violated('I6', `${key} disappeared from the database`);
  }
  for (const upload of state.uploads) {
    const shas = uploadedShas.get(upload.ownerId) ?? new Set<string>();
    shas.add(upload.sha256);
    uploadedShas.set(upload.ownerId, shas);
  }
}

function checkOwnership(state: State): void {
  for (const p of state.pipelines) {
    if (p.trainingSet.ownerId !== p.ownerId) violated('I1', `pipeline ${p.id} of ${p.ownerId} holds a training set of ${p.trainingSet.ownerId}`);
    for (const item of p.trainingSet.items) {
      const upload = state.uploadById.get(item.uploadId);
      if (!upload) violated('I1', `pipeline ${p.id} item ${item.uploadId} is no upload`);
      if (upload.ownerId !== p.ownerId) violated('I1', `pipeline ${p.id} of ${p.ownerId} uses upload ${item.uploadId} of ${upload.ownerId}`);
      if (upload.sha256 !== item.sha256 || upload.byteSize !== item.byteSize) {
        violated('I1', `pipeline ${p.id} item ${item.uploadId} differs from its upload row`);
      }
    }
  }
}

function checkVerifiedSet(world: World, state: State): void {
  for (const p of state.pipelines) {
    const ids = p.trainingSet.items.map((i) => i.uploadId);
    if (ids.length < MIN_PHOTOS) violated('I2', `pipeline ${p.id} has ${ids.length} photos, fewer than ${MIN_PHOTOS}`);
    if (new Set(ids).size !== ids.length) violated('I2', `pipeline ${p.id} lists a photo twice`);
    const history = world.seen.statuses.get(p.id) ?? [];
    const pastVerification = history.some((s) => PAST_UPLOAD_VERIFICATION.has(s)) || p.steps.some((s) => s.name === 'package');
    if (!pastVerification) continue;
    const step = p.steps.find((s) => s.name === 'verify_uploads' && s.status === 'succeeded');
    if (step?.evidence?.step !== 'verify_uploads') violated('I2', `pipeline ${p.id} is past verification without upload evidence`);
    const evidence = step.evidence.uploads.map((e) => `${e.uploadId}:${e.sha256}:${e.byteSize}:${e.contentType}`);
    const expected = p.trainingSet.items.map((i) => `${i.uploadId}:${i.sha256}:${i.byteSize}:${i.contentType}`);
    if (!same(evidence, expected)) violated('I2', `pipeline ${p.id} evidence ${evidence.join(',')} is not its training set ${expected.join(',')}`);
  }
  const submittedFor = new Map<string, number>();
  for (const t of state.trainings) {
    submittedFor.set(t.pipelineId, (submittedFor.get(t.pipelineId) ?? 0) + 1);
    const p = state.pipelineById.get(t.pipelineId);
    if (!p) violated('I2', `trainer training ${t.id} names unknown pipeline ${t.pipelineId}`);
    if (!(world.seen.statuses.get(p.id) ?? []).includes('submitting')) {
      violated('I2', `trainer training ${t.id} submitted for pipeline ${p.id}, which never reached submitting`);
    }
    const verified = p.steps.find((s) => s.name === 'verify_package' && s.status === 'succeeded');
    const pkg = 'package' in p ? p.package : null;
    if (verified?.evidence?.step !== 'verify_package' || !pkg || verified.evidence.sha256 !== pkg.sha256) {
      violated('I2', `trainer training ${t.id} submitted for pipeline ${p.id} without a verified package`);
    }
  }
  for (const [pipelineId, count] of submittedFor) {
    if (count > 1) violated('I2', `pipeline ${pipelineId} was submitted ${count} times (an orphaned training)`);
  }
}

function trainingOf(state: State, id: string): { t: MemoryTraining; p: TrainingPipeline } {
  const t = state.trainings.find((x) => x.id === id);
  if (!t) violated('I5', `no trainer training ${id}`);
  const p = state.pipelineById.get(t.pipelineId);
  if (!p) violated('I5', `trainer training ${id} names unknown pipeline ${t.pipelineId}`);
  return { t, p };
}

function checkPackageFidelityAndDestination(world: World, state: State): void {
  const ownersOfDestination = new Map<string, Set<string>>();
  for (const p of state.pipelines) {
    const ref = destinationRef(p.destination);
    if (ref !== destinationOf(world, p.ownerId)) violated('I4', `pipeline ${p.id} of ${p.ownerId} targets ${ref}`);
    ownersOfDestination.set(ref, (ownersOfDestination.get(ref) ?? new Set()).add(p.ownerId));
  }
  for (const t of state.trainings) {
    const { p } = trainingOf(state, t.id);
    const received = t.receivedImages.map(String);
    const expected = p.trainingSet.items.map((i) => i.sha256 as string);
    if (!same(received, expected)) {
      violated('I3', `trainer training ${t.id} received [${sorted(received).join(',')}], pipeline ${p.id} set is [${sorted(expected).join(',')}]`);
    }
    const key = keyOfSignedUrl(t.inputUrl);
    if (key !== packageKeyOf(p)) violated('I3', `trainer training ${t.id} was given ${key ?? t.inputUrl}, not pipeline ${p.id}'s package`);
    const ref = destinationRef(t.destination);
    if (ref !== destinationRef(p.destination)) violated('I4', `trainer training ${t.id} writes to ${ref}, pipeline ${p.id} expects ${destinationRef(p.destination)}`);
    ownersOfDestination.set(ref, (ownersOfDestination.get(ref) ?? new Set()).add(p.ownerId));
  }
  // Per-owner strategy: one destination per owner, never shared between owners.
  for (const [ref, owners] of ownersOfDestination) {
    if (owners.size > 1) violated('I4', `destination ${ref} is shared by ${[...owners].join(', ')}`);
  }
}

function checkModels(world: World, state: State): void {
  for (const m of state.models) {
    const p = state.pipelineById.get(m.pipelineId);
    if (!p) violated('I6', `model ${m.id} references no pipeline (${m.pipelineId})`);
    if (p.ownerId !== m.ownerId) violated('I6', `model ${m.id} of ${m.ownerId} references pipeline ${p.id} of ${p.ownerId}`);
    if (p.status !== 'succeeded') violated('I6', `model ${m.id} references pipeline ${p.id} that is ${p.status}`);
    if (p.trainingSet.items.length === 0) violated('I6', `model ${m.id} has an empty training set`);
    const modelSet = m.trainingSet.map((i) => `${i.uploadId}:${i.sha256}`);
    const pipelineSet = p.trainingSet.items.map((i) => `${i.uploadId}:${i.sha256}`);
    if (JSON.stringify(modelSet) !== JSON.stringify(pipelineSet)) violated('I6', `model ${m.id} training set differs from pipeline ${p.id}`);
    const { t } = trainingOf(state, p.trainerTrainingId);
    if (t.pipelineId !== p.id) violated('I5', `model ${m.id}: training ${t.id} belongs to pipeline ${t.pipelineId}, not ${p.id}`);
    if (t.status !== 'succeeded') violated('I5', `model ${m.id} comes from training ${t.id}, which is ${t.status}`);
    if (m.version !== t.outputVersion || p.modelVersion !== m.version) {
      violated('I5', `model ${m.id} is version ${m.version}, its training ${t.id} produced ${String(t.outputVersion)}`);
    }
    if (destinationRef(m.destination) !== destinationRef(p.destination)) violated('I5', `model ${m.id} destination differs from pipeline ${p.id}`);
    const uploaded = world.seen.uploadedShas.get(m.ownerId) ?? new Set<string>();
    const foreign = t.receivedImages.filter((sha) => !uploaded.has(sha));
    if (foreign.length > 0) violated('I6', `model ${m.id} of ${m.ownerId} was trained on images that owner never uploaded: ${foreign.join(',')}`);
  }
  for (const p of state.pipelines) {
    const count = state.models.filter((m) => m.pipelineId === p.id).length;
    if (p.status === 'succeeded' ? count !== 1 : count !== 0) violated('I6', `pipeline ${p.id} (${p.status}) has ${count} models`);
  }
}

function checkOneActive(world: World, state: State): void {
  for (const name of world.owners) {
    const ownerId = ownerIdOf(name);
    const active = state.pipelines.filter((p) => p.ownerId === ownerId && isActive(p));
    if (active.length > 1) violated('I8', `${name} has ${active.length} active pipelines: ${active.map((p) => p.id).join(', ')}`);
  }
}

/**
 * The incident: an owner who never had an upload has no model, no pipeline, no training at their
 * destination and nothing in storage under their prefix.
 */
function checkNoModelWithoutUploads(world: World, state: State): void {
  for (const name of world.owners) {
    const ownerId: OwnerId = ownerIdOf(name);
    if ((world.seen.uploadedShas.get(ownerId)?.size ?? 0) > 0) continue;
    const models = state.models.filter((m) => m.ownerId === ownerId);
    if (models.length > 0) violated('incident', `${name} never uploaded a photo yet has model(s) ${models.map((m) => m.version).join(', ')}`);
    const pipelines = state.pipelines.filter((p) => p.ownerId === ownerId);
    if (pipelines.length > 0) violated('incident', `${name} never uploaded a photo yet has pipeline(s) ${pipelines.map((p) => p.id).join(', ')}`);
    const prefix = remembered(`r:${ownerId}`, () => ownerRef(ownerId));
    const objects = state.keys.filter((key) => key.split('/')[1] === prefix);
    if (objects.length > 0) violated('incident', `${name} never uploaded a photo yet storage holds ${objects.join(', ')}`);
    const ref = destinationOf(world, ownerId);
    const trainings = state.trainings.filter((t) => destinationRef(t.destination) === ref);
    if (trainings.length > 0) violated('incident', `${name} never uploaded a photo yet the trainer trained for ${ref}`);
  }
}

/** Deleted photos' bytes are gone; training ZIPs exist only for pipelines that still owe their clean-up. */
function checkStorage(state: State): void {
  const uploadKeys = new Map(state.uploads.map((u) => [uploadKeyOf(u), u]));
  const packageKeys = new Map(state.pipelines.map((p) => [packageKeyOf(p), p]));
  for (const key of state.keys) {
    if (key.startsWith('uploads/')) {
      const upload = uploadKeys.get(key);
      if (!upload) violated('storage', `object ${key} belongs to no upload`);
      if (upload.status !== 'stored') violated('storage', `deleted upload ${upload.id} still has its bytes at ${key}`);
    } else if (key.startsWith('trainings/')) {
      const p = packageKeys.get(key);
      if (!p) violated('storage', `object ${key} belongs to no pipeline`);
      if (!isActive(p) && p.packageDeletedAt !== null) violated('storage', `pipeline ${p.id} recorded its package deleted, but ${key} exists`);
    } else {
      violated('storage', `unexpected object ${key}`);
    }
  }
}

/** Checks every invariant against the real state (database rows, stored objects, the trainer's records). */
export function checkInvariants(world: World): void {
  const state = readState(world);
  observe(world, state);
  checkOwnership(state);
  checkVerifiedSet(world, state);
  checkPackageFidelityAndDestination(world, state);
  checkModels(world, state);
  checkOneActive(world, state);
  checkNoModelWithoutUploads(world, state);
  checkStorage(state);
}
