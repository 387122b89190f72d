import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineId } from '@selfie-lora/core';
import { startE2eService, type E2eService } from '../e2e/support/service.js';
import { waitFor } from '../e2e/support/poll.js';
import { FaultProxy } from './support/fault-proxy.js';
import { expectAuditClean, expectCleanEnd, reached, recoveries, startedTraining, RECOVERY_BOUND_MS } from './support/fault-world.js';
import { kill, spawnWorker, type WorkerProcess } from './support/worker-processes.js';

// Connections of a worker process cut and refused: S3 behind a fault proxy that slows every
// chunk, so a step's transfer is caught under way; its connections are cut mid-transfer and new
// ones refused, then S3 comes back. Likewise the trainer (the simulator behind its own proxy)
// while the worker submits and polls. The step fails as transient, is retried, and the pipeline
// ends clean: one training at the trainer, of a ZIP read back whole, no ZIP left over.

let service: E2eService;
let s3: FaultProxy;
let trainer: FaultProxy;
let worker: WorkerProcess;

beforeAll(async () => {
  service = await startE2eService();
  const endpoint = new URL(service.environment['S3_ENDPOINT']!);
  s3 = await FaultProxy.start({ host: endpoint.hostname, port: Number(endpoint.port) });
  const simulator = new URL(service.environment['REPLICATE_BASE_URL']!);
  trainer = await FaultProxy.start({ host: simulator.hostname, port: Number(simulator.port) });
  service.simulator.control.setKnobs({ autoComplete: { afterPolls: 2 }, loseWebhooks: true });
  worker = spawnWorker(
    'connection-faults',
    {
      ...service.environment,
      S3_ENDPOINT: s3.front(service.environment['S3_ENDPOINT']!),
      REPLICATE_BASE_URL: trainer.front(service.environment['REPLICATE_BASE_URL']!),
    },
    2_000,
  );
  await worker.ready;
}, 60_000);

afterAll(async () => {
  if (worker) await kill(worker, 'SIGKILL');
  await s3?.close();
  await trainer?.close();
  await service?.close();
  console.info(`fault matrix (connection faults): ${JSON.stringify(recoveries)}`);
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

describe('the trainer cut and refused', () => {
  it('while the worker submits and polls: retried once it answers again, exactly one training, and the pipeline ends clean', async () => {
    // Kept-alive connections from earlier tests go too: every call must open a new one.
    trainer.mode = 'refuse';
    trainer.cut();
    const { client, id, uploads } = await startedTraining(service, 'trainer-outage');
    const refused = trainer.injected.refused;
    // Submitting cannot reach the trainer: a retry is scheduled, nothing is created there.
    await waitFor('a refused submission', () => (trainer.injected.refused > refused ? true : undefined), RECOVERY_BOUND_MS);
    await waitFor('a retry scheduled', async () => ((await retryOf(id)).attempt >= 1 ? true : undefined), RECOVERY_BOUND_MS);
    expect(service.simulator.control.trainings().filter((t) => t.inputUrl.includes(`/${id}/`))).toEqual([]);
    trainer.mode = 'pass';
    service.simulator.control.setKnobs({ autoComplete: { afterPolls: 1_000_000 } });
    await reached(client, id, 'training');
    // Polling: the open connections cut and new ones refused until the worker has been turned away.
    const again = trainer.injected.refused;
    trainer.mode = 'refuse';
    trainer.cut();
    const cutAt = Date.now();
    await waitFor('a refused poll', () => (trainer.injected.refused > again ? true : undefined), RECOVERY_BOUND_MS);
    trainer.mode = 'pass';
    service.simulator.control.setKnobs({ autoComplete: { afterPolls: 2 } });
    await expectCleanEnd(service, client, id, uploads);
    recoveries.push({ fault: 'trainer refused while submitting, then cut and refused while polling (worker process)', outcome: 'succeeded', recoveryMs: Date.now() - cutAt });
  }, RECOVERY_BOUND_MS * 3);
});

describe('an S3 outage past the retry budget', () => {
  it('ends the pipeline failed with a stable code and a message a person understands; nothing submitted, no ZIP left, no upload lost, the audit clean', async () => {
    // A worker whose budget is 2 tries 200 ms apart, so the bound is passed in a second, not half a minute.
    await kill(worker, 'SIGKILL');
    const environment = { ...service.environment, S3_ENDPOINT: s3.front(service.environment['S3_ENDPOINT']!), FAULT_RETRY_ATTEMPTS: '2', FAULT_RETRY_BASE_MS: '200' };
    worker = spawnWorker('s3-outage-past-budget', environment, 2_000);
    await worker.ready;
    s3.delayMs = 300;
    const { client, id, uploads } = await startedTraining(service, 's3-outage-past-budget');
    expect((await reached(client, id, 'packaging')).status).toBe('packaging');
    const flowing = s3.relayedBytes;
    await waitFor('a transfer under way', () => (s3.relayedBytes > flowing ? true : undefined));
    s3.mode = 'refuse';
    s3.cut();
    const cutAt = Date.now();
    const ended = await waitFor(
      'the pipeline ended',
      async () => {
        const training = await client.training(id);
        return training.status === 'failed' ? training : undefined;
      },
      RECOVERY_BOUND_MS,
    );
    expect(ended.failure).toMatchObject({ step: 'package', code: 'training.retries_exhausted' });
    expect(ended.failure?.message).toMatch(/kept failing/);
    s3.mode = 'pass';
    s3.delayMs = 0;
    // Nothing reached the trainer; any partial ZIP is removed by the clean-up once S3 is back.
    expect(service.simulator.control.trainings().filter((t) => t.inputUrl.includes(`/${id}/`))).toEqual([]);
    await waitFor(`no ZIP left for ${id}`, async () => {
      const listed = (await service.container.deps.objects.list('trainings/'))._unsafeUnwrap();
      return listed.some((object) => object.key.includes(`/${id}/`)) ? undefined : true;
    });
    expect((await client.uploads()).filter((upload) => upload.status === 'stored')).toHaveLength(uploads);
    await expectAuditClean(service);
    recoveries.push({ fault: 'S3 refused past the retry budget during packaging (worker process)', outcome: 'failed training.retries_exhausted', recoveryMs: Date.now() - cutAt });
  }, RECOVERY_BOUND_MS * 2);
});
