import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Worker } from '@selfie-lora/http';
import { startE2eService, type E2eService } from '../e2e/support/service.js';
import { waitFor } from '../e2e/support/poll.js';
import { FaultProxy } from './support/fault-proxy.js';
import { expectCleanEnd, reached, recoveries, startedTraining, RECOVERY_BOUND_MS } from './support/fault-world.js';

// Dependencies going away under a running service: PostgreSQL behind a fault proxy (connections
// cut, new ones refused) and the Replicate simulator slowed and failing. While the database is
// gone, requests answer 503 problem+json and /readyz says not ready, naming no cause; when it
// comes back everything resumes and the pipeline ends clean.

let service: E2eService;
let postgres: FaultProxy;
let worker: Worker;

beforeAll(async () => {
  postgres = await FaultProxy.start({ host: '127.0.0.1', port: 5432 });
  service = await startE2eService({ databaseUrl: (url) => postgres.front(url) });
  service.simulator.control.setKnobs({ autoComplete: { afterPolls: 2 }, loseWebhooks: true });
  worker = service.startWorker({ id: 'outage-worker', leaseMs: 2_000 });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await service?.close();
  await postgres?.close();
  console.info(`fault matrix (dependency outages): ${JSON.stringify(recoveries)}`);
}, 60_000);

const get = async (path: string, token?: string) => {
  const response = await fetch(`${service.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: (await response.json()) as Record<string, unknown> };
};

describe('dependency outages', () => {
  it('PostgreSQL cut and refused mid-pipeline: 503 problem+json and not ready meanwhile, then the pipeline resumes and ends clean', async () => {
    const { client, id, uploads } = await startedTraining(service, 'outage-owner-1');
    await reached(client, id, 'packaging');
    postgres.mode = 'refuse';
    postgres.cut();
    const cutAt = Date.now();

    const down = await client.request('GET', `/v1/trainings/${id}`);
    expect(down.status).toBe(503);
    expect(down.contentType).toContain('application/problem+json');
    expect(down.body).toMatchObject({ status: 503, code: 'persistence.unavailable' });
    const notReady = await get('/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body).toMatchObject({ code: 'service.not_ready' });
    // Public: which dependency, never the bucket, the address or the raw error.
    expect(JSON.stringify(notReady.body)).not.toMatch(/e2e-photos|127\.0\.0\.1|ECONN|5432/);

    postgres.mode = 'pass';
    await waitFor('ready again', async () => ((await get('/readyz')).status === 200 ? true : undefined), RECOVERY_BOUND_MS);
    const readyMs = Date.now() - cutAt;
    await expectCleanEnd(service, client, id, uploads);
    recoveries.push({ fault: 'PostgreSQL cut + refused during packaging (in-process worker)', outcome: 'succeeded', recoveryMs: readyMs });
  }, RECOVERY_BOUND_MS + 30_000);

  it('the trainer slow and answering 503/429: polling retries with backoff and the pipeline still ends clean', async () => {
    const { client, id, uploads } = await startedTraining(service, 'outage-owner-2');
    service.simulator.control.setKnobs({ delayMs: 300, serverErrors: 2, rateLimited: 1 });
    const startedAt = Date.now();
    await expectCleanEnd(service, client, id, uploads);
    service.simulator.control.setKnobs({ delayMs: 0 });
    recoveries.push({ fault: 'Replicate 300 ms slower, 2x 503 and 1x 429', outcome: 'succeeded', recoveryMs: Date.now() - startedAt });
  }, RECOVERY_BOUND_MS + 30_000);
});
