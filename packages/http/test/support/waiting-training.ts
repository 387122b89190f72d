import { expect } from 'vitest';
import { runToWaiting } from './drive.js';
import { harness, json, startTraining, uploadPhotos, type Harness } from './harness.js';
import { replicateVerifier } from './webhooks.js';

/** An app with the real webhook verifier, and alice's training waiting at the trainer. */
export async function waitingTraining(): Promise<{ h: Harness; trainingId: string }> {
  let verifier: ReturnType<typeof replicateVerifier> | null = null;
  const h = await harness({ app: { verifyWebhook: (input) => verifier!(input) } });
  verifier = replicateVerifier(h.core);
  await uploadPhotos(h, h.alice, [1, 2, 3]);
  const trainingId = json<{ training: { id: string } }>(await startTraining(h, h.alice)).training.id;
  expect(await runToWaiting(h.core, trainingId)).toBe('training');
  return { h, trainingId };
}
