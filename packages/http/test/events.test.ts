import { afterEach, describe, expect, it } from 'vitest';
import { PIPELINE_STATUSES } from '@selfie-lora/core';
import { finishTraining, runToWaiting } from './support/drive.js';
import { harness, json, startTraining, uploadPhotos, type Harness } from './support/harness.js';
import { sseReader, type ServerSentEvent } from './support/sse.js';

interface TrainingEvent {
  id: string;
  status: (typeof PIPELINE_STATUSES)[number];
  steps: unknown[];
  model: { version: string } | null;
}

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.app.close()));
});

async function listening(): Promise<{ h: Harness; base: string }> {
  const h = await harness({ app: { eventsPollIntervalMs: 5 } });
  open.push(h);
  const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  return { h, base };
}

/** Reads events until one satisfies `until`, returning all read so far (fails if the stream ends first). */
async function readUntil(next: () => Promise<ServerSentEvent | null>, until: (t: TrainingEvent) => boolean): Promise<TrainingEvent[]> {
  const seen: TrainingEvent[] = [];
  for (;;) {
    const event = await next();
    if (event === null) throw new Error(`stream ended after ${seen.map((t) => t.status).join(', ')}`);
    expect(event.event).toBe('training');
    const training = JSON.parse(event.data) as TrainingEvent;
    seen.push(training);
    if (until(training)) return seen;
  }
}

describe('GET /v1/trainings/:id/events', () => {
  it('streams the training as it changes and ends at its terminal status', async () => {
    const { h, base } = await listening();
    await uploadPhotos(h, h.alice, [1, 2, 3]);
    const trainingId = json<{ training: { id: string } }>(await startTraining(h, h.alice)).training.id;

    const response = await fetch(`${base}/v1/trainings/${trainingId}/events`, { headers: h.alice });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const { next } = sseReader(response.body!);

    const [first] = await readUntil(next, () => true);
    expect(first).toMatchObject({ id: trainingId, status: 'queued', steps: [] });

    // The background work moves it on: the stream reports the new status.
    expect(await runToWaiting(h.core, trainingId)).toBe('training');
    const moving = await readUntil(next, (t) => t.status === 'training');
    const order = (t: TrainingEvent) => PIPELINE_STATUSES.indexOf(t.status);
    expect(moving.map(order)).toEqual([...moving.map(order)].sort((a, b) => a - b));

    finishTraining(h.core, trainingId, 'succeeded');
    expect(await runToWaiting(h.core, trainingId)).toBe('succeeded');
    const [last] = await readUntil(next, (t) => t.status === 'succeeded');
    expect(last!.model).not.toBeNull();
    expect(await next()).toBeNull(); // the server closed the stream
  });

  it('sends a terminal training once and ends at once', async () => {
    const h = await harness();
    await uploadPhotos(h, h.alice, [1, 2, 3]);
    const trainingId = json<{ training: { id: string } }>(await startTraining(h, h.alice)).training.id;
    await h.app.inject({ method: 'POST', url: `/v1/trainings/${trainingId}/cancel`, headers: h.alice });
    const response = await h.app.inject({ method: 'GET', url: `/v1/trainings/${trainingId}/events`, headers: h.alice });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(response.headers['cache-control']).toMatch(/no-store/);
    const events = response.body.split('\n\n').filter((block) => block.includes('data:'));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatch(/^event: training\nid: 1\ndata: /m);
    expect(JSON.parse(events[0]!.split('data: ')[1]!)).toMatchObject({ id: trainingId, status: 'canceled' });
  });
});
