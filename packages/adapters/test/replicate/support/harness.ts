import { randomBytes } from 'node:crypto';
import { startReplicateSimulator, type Knobs, type RunningSimulator } from '@selfie-lora/replicate-simulator';
import { trusted, type Destination, type PipelineId, type Submission } from '@selfie-lora/core';
import { ReplicateTrainer, type ReplicateTrainerConfig } from '../../../src/replicate/index.js';
import { startFileServer, type FileServer } from '@selfie-lora/testkit/servers';
import { smallPhoto, trainingZip } from './photos.js';

export const TRAINER_REF = 'ostris/flux-dev-lora-trainer:4ffd32160efd92e956d39c5338a9b8fbafca58e03f791f6d8011f3e20e8ea6fa';
export const API_TOKEN = 'r8_test_token';

export interface Harness {
  readonly sim: RunningSimulator;
  readonly files: FileServer;
  readonly secret: string;
  trainer(overrides?: Partial<ReplicateTrainerConfig>): ReplicateTrainer;
  /** Serves a ZIP of these photo seeds under a package key for `pipelineId`; returns a submission. */
  submission(pipelineId: string, seeds: readonly number[], destination?: Destination): Promise<Submission & { readonly photos: Uint8Array[] }>;
  close(): Promise<void>;
}

export const destinationA: Destination = { owner: 'selfie-lora', name: 'selfie-lora-aaaa' };

export interface HarnessOptions {
  readonly knobs?: Partial<Knobs>;
  /** Bytes to serve for a key not served explicitly (e.g. an object store's). */
  readonly lookup?: (key: string) => Uint8Array | undefined;
  /** The simulator's clock (webhook timestamps). */
  readonly now?: () => Date;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const sim = await startReplicateSimulator({
    webhookSecret: secret,
    apiToken: API_TOKEN,
    knobs: { webhookBackoffMs: 1, ...options.knobs },
    ...(options.now ? { now: options.now } : {}),
  });
  const files = await startFileServer(options.lookup);
  return {
    sim,
    files,
    secret,
    trainer: (overrides = {}) => new ReplicateTrainer({ apiToken: API_TOKEN, baseUrl: sim.baseUrl, trainer: TRAINER_REF, ...overrides }),
    async submission(pipelineId, seeds, destination = destinationA) {
      const photos = await Promise.all(seeds.map((seed) => smallPhoto(seed)));
      const inputUrl = files.serve(`trainings/ownerref0/${pipelineId}/training.zip`, trainingZip(photos));
      return { pipelineId: trusted<PipelineId>(pipelineId), destination, inputUrl, triggerWord: 'TOK', photos };
    },
    async close() {
      await sim.close();
      await files.close();
    },
  };
}
