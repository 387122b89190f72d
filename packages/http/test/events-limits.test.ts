import { afterEach, describe, expect, it } from 'vitest';
import type { OwnerId, PipelineId } from '@selfie-lora/core';
import type { HttpAppOptions } from '../src/index.js';
import { TrainingFeed } from '../src/routes/training-feed.js';
import { harness, json, startTraining, uploadPhotos, type Harness } from './support/harness.js';
import { sseReader } from './support/sse.js';

// Events streams must not fan out to the database (issue 15, point 4).

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.app.close()));
});

async function listening(app: Partial<Omit<HttpAppOptions, 'deps'>>): Promise<{ h: Harness; base: string; trainingId: string }> {
  const h = await harness({ app: { eventsPollIntervalMs: 5, ...app } });
  open.push(h);
  const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  await uploadPhotos(h, h.alice, [1, 2, 3]);
  const trainingId = json<{ training: { id: string } }>(await startTraining(h, h.alice)).training.id;
  return { h, base, trainingId };
}

describe('events stream limits', () => {
  it('caps open streams per owner: 429 events.too_many_streams with Retry-After; a closed one frees its slot', async () => {
    const { h, base, trainingId } = await listening({ eventsLimits: { maxStreamsPerOwner: 2 } });
    const url = `${base}/v1/trainings/${trainingId}/events`;
    const leaving = [new AbortController(), new AbortController()];
    for (const controller of leaving) {
      const response = await fetch(url, { headers: h.alice, signal: controller.signal });
      expect(response.status).toBe(200);
      expect(await sseReader(response.body!).next()).not.toBeNull();
    }
    const refused = await fetch(url, { headers: h.alice });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await refused.json()) as { code: string }).code).toBe('events.too_many_streams');

    leaving[0]!.abort();
    // The server notices the closed socket on its own schedule: ask again until it has (bounded).
    let again = 429;
    for (let i = 0; i < 200 && again === 429; i += 1) {
      const response = await fetch(url, { headers: h.alice });
      again = response.status;
      await response.body?.cancel();
      if (again === 429) await new Promise((r) => setTimeout(r, 10));
    }
    expect(again).toBe(200);
  });

  it('ends a stream at the end of its lifetime, while the training is still running', async () => {
    const { h, base, trainingId } = await listening({ eventsLimits: { maxLifetimeMs: 200 } });
    const response = await fetch(`${base}/v1/trainings/${trainingId}/events`, { headers: h.alice });
    const { next } = sseReader(response.body!);
    expect(await next()).not.toBeNull();
    expect(await next()).toBeNull(); // ended by the server
    const status = json<{ training: { status: string } }>(await h.app.inject({ method: 'GET', url: `/v1/trainings/${trainingId}`, headers: h.alice }));
    expect(status.training.status).toBe('queued');
  });
});

describe('TrainingFeed: one poller for every stream', () => {
  it('reads each watched training once per tick, however many streams watch it', async () => {
    const reads = new Map<string, number>();
    const feed = new TrainingFeed<string>(
      (ownerId, id) => {
        reads.set(id, (reads.get(id) ?? 0) + 1);
        return Promise.resolve(`${ownerId}/${id}`);
      },
      { pollMs: 1, maxStreamsPerOwner: 10 },
    );
    const owner = 'alice' as OwnerId;
    const received = [0, 0, 0, 0];
    const leaves = [
      feed.open(owner, 't1' as PipelineId, () => (received[0]! += 1)),
      feed.open(owner, 't1' as PipelineId, () => (received[1]! += 1)),
      feed.open(owner, 't1' as PipelineId, () => (received[2]! += 1)),
      feed.open(owner, 't2' as PipelineId, () => (received[3]! += 1)),
    ];
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (received.every((n) => n >= 5)) resolve(void clearInterval(check));
      }, 1);
    });
    feed.stop();
    // Three streams of t1 got every read of t1, and there was one read per tick, not three.
    expect(received[0]).toBe(reads.get('t1'));
    expect(received[1]).toBe(reads.get('t1'));
    expect(received[2]).toBe(reads.get('t1'));
    expect(received[3]).toBe(reads.get('t2'));
    expect(feed.streamsOf(owner)).toBe(4);
    for (const leave of leaves) leave!();
    expect(feed.streamsOf(owner)).toBe(0);
  });

  it('refuses a stream past the owner cap, and counts owners apart', () => {
    const feed = new TrainingFeed<string>(() => Promise.resolve('x'), { pollMs: 1000, maxStreamsPerOwner: 1 });
    expect(feed.open('alice' as OwnerId, 't1' as PipelineId, () => undefined)).not.toBeNull();
    expect(feed.open('alice' as OwnerId, 't2' as PipelineId, () => undefined)).toBeNull();
    expect(feed.open('bob' as OwnerId, 't3' as PipelineId, () => undefined)).not.toBeNull();
    feed.stop();
  });
});
