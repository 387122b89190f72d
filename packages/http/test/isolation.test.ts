import { describe, expect, it } from 'vitest';
import { finishTraining, runToWaiting } from './support/drive.js';
import { expectProblem, harness, json, startTraining, storedState, uploadPhotos } from './support/harness.js';

describe("another owner's resources answer 404, never 403, and stay as they were", () => {
  it('for uploads and trainings, whatever the method', async () => {
    const h = await harness();
    const [aliceUpload] = await uploadPhotos(h, h.alice, [1, 2, 3]);
    const aliceTraining = json<{ training: { id: string } }>(await startTraining(h, h.alice)).training.id;
    await uploadPhotos(h, h.bob, [4]);
    const before = storedState(h.core);

    const attempts = [
      { method: 'GET', url: `/v1/trainings/${aliceTraining}`, code: 'training.not_found' },
      { method: 'GET', url: `/v1/trainings/${aliceTraining}/events`, code: 'training.not_found' },
      { method: 'POST', url: `/v1/trainings/${aliceTraining}/cancel`, code: 'training.not_found' },
      { method: 'POST', url: `/v1/trainings/${aliceTraining}/restart`, code: 'training.not_found' },
      { method: 'DELETE', url: `/v1/uploads/${aliceUpload}`, code: 'upload.not_found' },
    ] as const;
    for (const attempt of attempts) {
      const response = await h.app.inject({ method: attempt.method, url: attempt.url, headers: h.bob });
      expectProblem(response, 404, attempt.code);
    }
    expect(storedState(h.core)).toEqual(before);
  });

  it("lists only the owner's own uploads, trainings and models", async () => {
    const h = await harness();
    await uploadPhotos(h, h.alice, [1, 2, 3]);
    const aliceTraining = json<{ training: { id: string } }>(await startTraining(h, h.alice)).training.id;
    await runToWaiting(h.core, aliceTraining);
    finishTraining(h.core, aliceTraining, 'succeeded');
    expect(await runToWaiting(h.core, aliceTraining)).toBe('succeeded');

    const [uploads, trainings, models] = await Promise.all(
      ['/v1/uploads', '/v1/trainings', '/v1/models'].map((url) => h.app.inject({ method: 'GET', url, headers: h.bob })),
    );
    expect(uploads!.json()).toEqual({ uploads: [], pending: [] });
    expect(trainings!.json()).toEqual({ trainings: [] });
    expect(models!.json()).toEqual({ models: [] });
    const aliceModels = await h.app.inject({ method: 'GET', url: '/v1/models', headers: h.alice });
    expect(json<{ models: unknown[] }>(aliceModels).models).toHaveLength(1);
  });
});
