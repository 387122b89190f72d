import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemoryPipelineLeases } from '@selfie-lora/adapters';
import { OwnerId, STAGING_EXPIRY_MS, sweepExpired, WEBHOOK_DELIVERY_RETENTION_MS } from '@selfie-lora/core';
import { backgroundJobs, startWorker } from '../src/worker/index.js';
import { finishTraining } from './support/drive.js';
import { harness, json, uploadPhotos } from './support/harness.js';
import { waitingTraining } from './support/waiting-training.js';
import { replicateBody, signed } from './support/webhooks.js';

// Bounded retention (issue 15, points 2 and 9): what the service keeps only for a while is
// removed on the worker's schedule, and removing it weakens nothing.

const bytes = (text: string): AsyncIterable<Uint8Array> => Readable.from([new TextEncoder().encode(text)]);

describe('webhook deliveries are pruned without weakening replay protection', () => {
  it('a replay after the delivery was forgotten is refused as stale and changes nothing', async () => {
    const { h, trainingId } = await waitingTraining();
    const body = replicateBody(finishTraining(h.core, trainingId, 'succeeded'));
    const headers = signed(body, { id: 'msg_once', sentAt: h.core.clock.now() });
    const deliver = () => h.app.inject({ method: 'POST', url: '/v1/webhooks/replicate', headers, payload: body });

    expect(json(await deliver())).toEqual({ outcome: 'applied', ignored: false });
    h.core.clock.advance(2 * 60_000);
    expect((await sweepExpired(h.core.deps))._unsafeUnwrap().webhookDeliveriesPruned).toBe(0);
    expect(json(await deliver())).toEqual({ outcome: 'duplicate', ignored: false });

    h.core.clock.advance(WEBHOOK_DELIVERY_RETENTION_MS);
    expect((await sweepExpired(h.core.deps))._unsafeUnwrap().webhookDeliveriesPruned).toBe(1);
    expect((await h.core.deps.uow.transaction((r) => r.webhookDeliveries.seen('msg_once')))._unsafeUnwrap()).toBe(false);
    const before = h.core.db.snapshot();
    const replay = await deliver();
    expect(replay.statusCode).toBe(401);
    expect(json<{ code: string }>(replay).code).toBe('webhook.stale');
    expect(h.core.db.snapshot()).toEqual(before);
  });

  it('keeps deliveries well past the 5-minute staleness window', () => {
    expect(WEBHOOK_DELIVERY_RETENTION_MS).toBeGreaterThanOrEqual(2 * 5 * 60_000);
  });
});

describe('abandoned staging objects are removed', () => {
  it('removes staging objects past the slot lifetime and margin, keeps fresh ones and photos', async () => {
    const h = await harness();
    const objects = h.core.deps.objects;
    await uploadPhotos(h, h.alice, [1]);
    (await objects.put('staging/owner-a/abandoned', bytes('old'), { maxBytes: 100 }))._unsafeUnwrap();
    h.core.clock.advance(STAGING_EXPIRY_MS + 1000);
    (await objects.put('staging/owner-a/fresh', bytes('new'), { maxBytes: 100 }))._unsafeUnwrap();

    expect((await sweepExpired(h.core.deps))._unsafeUnwrap().stagingObjectsRemoved).toBe(1);
    const left = [...h.core.store.keys()];
    expect(left).toContain('staging/owner-a/fresh');
    expect(left).not.toContain('staging/owner-a/abandoned');
    expect(left.filter((key) => key.startsWith('uploads/'))).toHaveLength(1);
  });

  it('forgets expired upload slots, keeping open ones', async () => {
    const h = await harness();
    const slot = () => h.app.inject({ method: 'POST', url: '/v1/uploads/presigned', headers: h.alice, payload: { byteSize: 1000 } });
    expect((await slot()).statusCode).toBe(201);
    h.core.clock.advance(20 * 60_000);
    expect((await slot()).statusCode).toBe(201);
    expect((await sweepExpired(h.core.deps))._unsafeUnwrap().uploadSlotsPruned).toBe(1);
    expect((await h.core.deps.uow.transaction((r) => r.uploadSlots.listOpenExpiries(OwnerId.parse('alice')._unsafeUnwrap(), new Date(0))))._unsafeUnwrap()).toHaveLength(1);
  });

  it('the worker sweeps on its own schedule', async () => {
    const h = await harness();
    (await h.core.deps.objects.put('staging/owner-a/abandoned', bytes('old'), { maxBytes: 100 }))._unsafeUnwrap();
    h.core.clock.advance(STAGING_EXPIRY_MS + 1000);
    const worker = startWorker({ deps: h.core.deps, leases: new MemoryPipelineLeases(h.core.deps.uow), workerId: 'w', pollIntervalMs: 1000, jobs: backgroundJobs(h.core.deps, { everyMs: 60_000 }) });
    // The first sweep runs at start: wait for it (bounded), then stop.
    for (let i = 0; i < 500 && h.core.store.keys().some((key) => key.startsWith('staging/')); i += 1) await new Promise((r) => setTimeout(r, 5));
    await worker.stop();
    expect([...h.core.store.keys()]).toEqual([]);
  });
});
