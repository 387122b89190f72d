import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineId } from '@selfie-lora/core';
import { startE2eService, type E2eService } from '../e2e/support/service.js';
import { waitFor } from '../e2e/support/poll.js';
import { FaultProxy } from './support/fault-proxy.js';
import { expectCleanEnd, reached, recoveries, startedTraining, RECOVERY_BOUND_MS } from './support/fault-world.js';
import { kill, spawnWorker, type WorkerProcess } from './support/worker-processes.js';

// The bucket going away under a worker process: S3 behind a fault proxy that slows every chunk,
// so a step's transfer is caught under way; its connections are cut mid-transfer and new ones
// refused, then S3 comes back. The step fails as transient, is retried, and the pipeline ends
// clean: one training at the trainer, of a ZIP that was read back whole, no ZIP left over.

let service: E2eService;
let s3: FaultProxy;
let worker: WorkerProcess;

beforeAll(async () => {
  service = await startE2eService();
  const endpoint = new URL(service.environment['S3_ENDPOINT']!);
  s3 = await FaultProxy.start({ host: endpoint.hostname, port: Number(endpoint.port) });
  service.simulator.control.setKnobs({ autoComplete: { afterPolls: 2 }, loseWebhooks: true });
  worker = spawnWorker('s3-outage', { ...service.environment, S3_ENDPOINT: s3.front(service.environment['S3_ENDPOINT']!) }, 2_000);
  await worker.ready;
}, 60_000);

afterAll(async () => {
  if (worker) await kill(worker, 'SIGKILL');
  await s3?.close();
  await service?.close();
  console.info(`fault matrix (storage outages): ${JSON.stringify(recoveries)}`);
}, 60_000);

/** The pipeline's retry state as stored (the HTTP answer does not show it). */
async function retryOf(id: string) {
  const pipeline = (await service.container.deps.uow.transaction((r) => r.pipelines.getById(PipelineId.parse(id)._unsafeUnwrap())))._unsafeUnwrap();
  return pipeline!.retry;
}

describe('S3 cut mid-transfer and refused', () => {
  it.each(['packaging', 'verifying_package'])('during %s: the step is retried once S3 is back, and the pipeline ends clean', async (status) => {
    s3.delayMs = 300;
    const { client, id, uploads } = await startedTraining(service, `s3-outage-${status}`);
    const seen = await reached(client, id, status);
    expect(seen.status).toBe(status);
    // A transfer of the step is under way (bytes keep flowing through the slowed proxy): cut it.
    const flowing = s3.relayedBytes;
    await waitFor('a transfer under way', () => (s3.relayedBytes > flowing ? true : undefined));
    s3.mode = 'refuse';
    s3.cut();
    const cutAt = Date.now();
    const refused = s3.injected.refused;
    // The step failed as transient (a retry is scheduled) and the worker has tried S3 again.
    await waitFor('a retry scheduled', async () => ((await retryOf(id)).attempt >= 1 ? true : undefined), RECOVERY_BOUND_MS);
    await waitFor('a refused try', () => (s3.injected.refused > refused ? true : undefined), RECOVERY_BOUND_MS);
    expect((await client.training(id)).status).toBe(status);
    s3.mode = 'pass';
    s3.delayMs = 0;
    await expectCleanEnd(service, client, id, uploads);
    recoveries.push({ fault: `S3 cut mid-transfer and refused during ${status} (worker process)`, outcome: 'succeeded', recoveryMs: Date.now() - cutAt });
  }, RECOVERY_BOUND_MS * 2 + 30_000);
});
