import { describe, expect, it } from 'vitest';
import {
  adminAuth,
  listedModels,
  quarantineCall,
  releaseCall,
  trainedWorld,
  type AdminModelJson,
  type TrainedWorld,
} from './support/audit-world.js';
import type { ModelJson } from './support/answer-shapes.js';
import { expectProblem, json, storedState, type Harness } from './support/harness.js';
import { ADMIN_TOKEN, tokenFor } from './support/tokens.js';

// POST /v1/admin/models/:id/quarantine and /release: the operator takes one model out of
// service with a reason and back; the owner stops (and starts again) being served it, and
// nothing is ever deleted.

async function trainingModel(h: Harness, trainingId: string): Promise<ModelJson | null> {
  const response = await h.app.inject({ method: 'GET', url: `/v1/trainings/${trainingId}`, headers: h.alice });
  expect(response.statusCode, response.body).toBe(200);
  return json<{ training: { model: ModelJson | null } }>(response).training.model;
}

const adminModel = (response: { json: () => unknown }) => (response.json() as { model: AdminModelJson }).model;

/** The model row as stored and the objects, to prove a refused call changed nothing. */
const stateOf = (world: TrainedWorld) => ({ ...storedState(world.h.core), log: world.h.core.log.events.length });

describe('POST /v1/admin/models/:id/quarantine and /release: who may call them', () => {
  it('refuses anyone without the admin token, the model\'s own owner included, before reading the body', async () => {
    const world = await trainedWorld();
    const { h, model } = world;
    const before = stateOf(world);
    const owners = { authorization: `Bearer ${await tokenFor('alice')}` };
    const wrong = { authorization: `Bearer ${ADMIN_TOKEN}0` };
    expectProblem(await quarantineCall(h, model.id, { reason: 'x' }, {}), 401, 'auth.missing_token');
    expectProblem(await quarantineCall(h, model.id, { reason: 'x' }, owners), 401, 'auth.invalid_token');
    expectProblem(await quarantineCall(h, model.id, { reason: 'x' }, wrong), 401, 'auth.invalid_token');
    // A body that would be refused as invalid is not even looked at.
    expectProblem(await quarantineCall(h, model.id, '{"reason": ', { ...owners, 'content-type': 'application/json' }), 401, 'auth.invalid_token');
    expectProblem(await releaseCall(h, model.id, {}), 401, 'auth.missing_token');
    expectProblem(await releaseCall(h, model.id, owners), 401, 'auth.invalid_token');
    expect(stateOf(world)).toEqual(before);
    expect(await listedModels(h, h.alice)).toEqual([model]);
  });
});

describe('POST /v1/admin/models/:id/quarantine: refusals', () => {
  it('answers 404 model.not_found for an unknown or malformed id, changing nothing', async () => {
    const world = await trainedWorld();
    const { h } = world;
    const before = stateOf(world);
    for (const id of ['id-999', 'model-unknown', '-leading-dash', '%20', 'a%20b', 'x'.repeat(129), 'semi%3Bcolon']) {
      expectProblem(await quarantineCall(h, id, { reason: 'suspicious' }), 404, 'model.not_found');
      expectProblem(await releaseCall(h, id), 404, 'model.not_found');
    }
    expect(stateOf(world)).toEqual(before);
  });

  it('answers 422 model.invalid_quarantine_reason for an empty, blank, too long or control-character reason', async () => {
    const world = await trainedWorld();
    const { h, model } = world;
    const before = stateOf(world);
    const refused = ['', '   ', '\t \n', 'a'.repeat(501), 'a'.repeat(5_000), 'line\nbreak', 'tab\tinside', 'nul\u0000', 'bell\u0007', 'del\u007f'];
    for (const reason of refused) {
      expectProblem(await quarantineCall(h, model.id, { reason }), 422, 'model.invalid_quarantine_reason');
    }
    expect(stateOf(world)).toEqual(before);
    expect(await listedModels(h, h.alice)).toEqual([model]);
  });

  it('answers 400 request.invalid for a missing body, a body that is not JSON, or a reason that is not text', async () => {
    const world = await trainedWorld();
    const { h, model } = world;
    const before = stateOf(world);
    const asJson = { ...adminAuth, 'content-type': 'application/json' };
    expectProblem(await quarantineCall(h, model.id, undefined), 400, 'request.invalid');
    expectProblem(await quarantineCall(h, model.id, '', asJson), 400, 'request.invalid');
    expectProblem(await quarantineCall(h, model.id, '{"reason": ', asJson), 400, 'request.invalid');
    expectProblem(await quarantineCall(h, model.id, 'stranger', { ...adminAuth, 'content-type': 'text/plain' }), 400, 'request.invalid');
    expectProblem(await quarantineCall(h, model.id, '<reason/>', { ...adminAuth, 'content-type': 'application/xml' }), 415, 'request.unsupported_media_type');
    expectProblem(await quarantineCall(h, model.id, {}), 400, 'request.invalid');
    expectProblem(await quarantineCall(h, model.id, { reason: 42 }), 400, 'request.invalid');
    expectProblem(await quarantineCall(h, model.id, { reason: null }), 400, 'request.invalid');
    // A misspelt or extra field is refused rather than ignored, as on POST /v1/trainings.
    expectProblem(await quarantineCall(h, model.id, { reason: 'stranger', reaso: 'typo' }), 400, 'request.invalid');
    expectProblem(await quarantineCall(h, model.id, '["stranger"]', asJson), 400, 'request.invalid');
    expect(stateOf(world)).toEqual(before);
  });
});

describe('POST /v1/admin/models/:id/quarantine and /release: the change', () => {
  it('quarantines with the trimmed reason: 200 with the model, no longer served to its owner, nothing deleted', async () => {
    const world = await trainedWorld();
    const { h, model, trainingId } = world;
    const before = storedState(h.core);
    const response = await quarantineCall(h, model.id, { reason: '  face is not the owner\'s (ticket 42)  ' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      model: { ...model, status: 'quarantined', ownerId: 'alice', quarantineReason: 'face is not the owner\'s (ticket 42)' },
    });

    expect(await listedModels(h, h.alice)).toEqual([]);
    expect(await trainingModel(h, trainingId)).toBeNull();
    const training = await h.app.inject({ method: 'GET', url: `/v1/trainings/${trainingId}`, headers: h.alice });
    expect(json<{ training: { status: string } }>(training).training.status).toBe('succeeded');
    const after = storedState(h.core);
    expect(after.objects).toEqual(before.objects);
    expect(after.rows.uploads).toEqual(before.rows.uploads);
    expect(after.rows.pipelines).toEqual(before.rows.pipelines);
    expect(after.rows.models).toMatchObject([{ id: model.id, status: 'quarantined', quarantineReason: 'face is not the owner\'s (ticket 42)' }]);
    expect(h.core.log.events.filter((e) => e.kind === 'model.quarantined')).toHaveLength(1);
  });

  it('accepts a reason of exactly 500 characters (after trimming)', async () => {
    const { h, model } = await trainedWorld();
    const reason = 'r'.repeat(500);
    const response = await quarantineCall(h, model.id, { reason: ` ${reason} ` });
    expect(response.statusCode, response.body).toBe(200);
    expect(adminModel(response).quarantineReason).toBe(reason);
  });

  it('is idempotent: a second quarantine answers 200 and keeps the first reason', async () => {
    const { h, model } = await trainedWorld();
    const first = await quarantineCall(h, model.id, { reason: 'first look' });
    expect(first.statusCode, first.body).toBe(200);
    const rows = h.core.db.snapshot().models;
    const second = await quarantineCall(h, model.id, { reason: 'second look' });
    expect(second.statusCode, second.body).toBe(200);
    expect(adminModel(second)).toEqual(adminModel(first));
    expect(adminModel(second).quarantineReason).toBe('first look');
    expect(h.core.db.snapshot().models).toEqual(rows);
    expect(h.core.log.events.filter((e) => e.kind === 'model.quarantined')).toHaveLength(1);
    // Even an unusable reason is refused on an already quarantined model: the reason is checked first.
    expectProblem(await quarantineCall(h, model.id, { reason: '' }), 422, 'model.invalid_quarantine_reason');
  });

  it('releases: 200 active with no reason, served again as before; a second release (or one of an active model) is a no-op', async () => {
    const { h, model, trainingId } = await trainedWorld();
    const untouched = await releaseCall(h, model.id);
    expect(untouched.statusCode, untouched.body).toBe(200);
    expect(adminModel(untouched)).toEqual({ ...model, ownerId: 'alice', quarantineReason: null });
    expect(h.core.log.events.filter((e) => e.kind === 'model.released')).toHaveLength(0);

    expect((await quarantineCall(h, model.id, { reason: 'checking' })).statusCode).toBe(200);
    const released = await releaseCall(h, model.id);
    expect(released.statusCode, released.body).toBe(200);
    expect(released.json()).toEqual({ model: { ...model, status: 'active', ownerId: 'alice', quarantineReason: null } });
    expect(await listedModels(h, h.alice)).toEqual([model]);
    expect(await trainingModel(h, trainingId)).toEqual(model);

    const rows = h.core.db.snapshot().models;
    const again = await releaseCall(h, model.id);
    expect(again.statusCode, again.body).toBe(200);
    expect(adminModel(again)).toEqual(adminModel(released));
    expect(h.core.db.snapshot().models).toEqual(rows);
    expect(h.core.log.events.filter((e) => e.kind.startsWith('model.')).map((e) => e.kind)).toEqual(['model.quarantined', 'model.released']);

    // And it can be quarantined again, with a new reason.
    const requarantined = await quarantineCall(h, model.id, { reason: 'second opinion' });
    expect(adminModel(requarantined)).toMatchObject({ status: 'quarantined', quarantineReason: 'second opinion' });
  });

  it('touches only the model named: another owner\'s listing and the other rows stay as they were', async () => {
    const { h, model } = await trainedWorld();
    const bobsBefore = await listedModels(h, h.bob);
    const rowsBefore = h.core.db.snapshot();
    expect((await quarantineCall(h, model.id, { reason: 'isolated' })).statusCode).toBe(200);
    expect(await listedModels(h, h.bob)).toEqual(bobsBefore);
    const rowsAfter = h.core.db.snapshot();
    expect(rowsAfter.uploads).toEqual(rowsBefore.uploads);
    expect(rowsAfter.pipelines).toEqual(rowsBefore.pipelines);
  });
});
