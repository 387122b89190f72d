import { describe, expect, it } from 'vitest';
import { harness, startTraining, uploadPhotos } from './support/harness.js';

describe('onTrainingAccepted: the shell tells an in-process worker about new work', () => {
  it('fires once per accepted training or restart, not on an idempotent replay or a refusal', async () => {
    let accepted = 0;
    const h = await harness({ app: { onTrainingAccepted: () => (accepted += 1) } });
    await uploadPhotos(h, h.alice, [1, 2, 3]);
    const key = { headers: { 'idempotency-key': 'first' } };
    const first = await startTraining(h, h.alice, key);
    expect(first.statusCode).toBe(202);
    expect(accepted).toBe(1);
    expect((await startTraining(h, h.alice, key)).statusCode).toBe(202);
    expect(accepted).toBe(1);
    expect((await startTraining(h, h.alice)).statusCode).toBe(409);
    expect(accepted).toBe(1);
    const id = first.json<{ training: { id: string } }>().training.id;
    expect((await h.app.inject({ method: 'POST', url: `/v1/trainings/${id}/cancel`, headers: h.alice })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'POST', url: `/v1/trainings/${id}/restart`, headers: h.alice })).statusCode).toBe(202);
    expect(accepted).toBe(2);
  });
});
