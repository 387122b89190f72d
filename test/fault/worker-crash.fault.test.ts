import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2eService, type E2eService } from '../e2e/support/service.js';
import { waitFor } from '../e2e/support/poll.js';
import { FaultProxy } from './support/fault-proxy.js';
import { expectCleanEnd, reached, recoveredPast, recoveries, startedTraining, RECOVERY_BOUND_MS } from './support/fault-world.js';
import { freePort } from '@selfie-lora/local-stack';
import { kill, spawnStart, spawnWorker, type WorkerProcess } from './support/worker-processes.js';

// Worker processes killed with SIGKILL at step boundaries and in the middle of steps, with one
// worker and with two, over real Postgres, s3rver (behind a fault proxy that slows it down) and
// the Replicate simulator. Waits are poll-driven; RECOVERY_BOUND_MS is only a safety limit.

/** Short, so the suite stays bounded; one test keeps the default lease (the crash). */
const SHORT_LEASE_MS = 2_000;

let service: E2eService;
let s3: FaultProxy;
/** The worker environment: the service's, with S3 behind the proxy. */
let environment: Record<string, string>;
const running = new Set<WorkerProcess>();
let owners = 0;

/**
 * The worker whose lease holds the pipeline now (pipeline_schedule.leased_by), or null when none
 * is seen holding it for a while: while training, a lease is held only during each poll.
 */
async function leaseHolder(id: string): Promise<string | null> {
  const db = new pg.Client({ connectionString: service.environment['DATABASE_URL'] });
  await db.connect();
  try {
    return await waitFor(
      `a worker holding ${id}`,
      async () => {
        const { rows } = await db.query<{ leased_by: string | null }>('SELECT leased_by FROM pipeline_schedule WHERE pipeline_id = $1', [id]);
        return rows[0]?.leased_by ?? undefined;
      },
      5_000,
    ).catch(() => null);
  } finally {
    await db.end();
  }
}

function worker(id: string, leaseMs?: number): WorkerProcess {
  const started = spawnWorker(id, environment, leaseMs);
  running.add(started);
  void started.exited.then(() => running.delete(started));
  return started;
}

beforeAll(async () => {
  service = await startE2eService();
  const endpoint = new URL(service.environment['S3_ENDPOINT']!);
  s3 = await FaultProxy.start({ host: endpoint.hostname, port: Number(endpoint.port) });
  environment = { ...service.environment, S3_ENDPOINT: s3.front(service.environment['S3_ENDPOINT']!) };
  // A training finishes after two polls; webhooks are lost unless a test says otherwise, so
  // only a worker (the fallback path) can finish what a crash interrupted.
  service.simulator.control.setKnobs({ autoComplete: { afterPolls: 2 }, loseWebhooks: true });
}, 60_000);

afterAll(async () => {
  for (const process of running) await kill(process, 'SIGKILL');
  await s3?.close();
  await service?.close();
  console.info(`fault matrix (worker crashes): ${JSON.stringify(recoveries)}`);
}, 60_000);

describe('a worker process killed with SIGKILL', () => {
  it('mid-submit, after the trainer created the run: another worker resumes within the bound with the default lease, adopting that run', async () => {
    const first = worker('crash-submit-a');
    await first.ready;
    // The trainer creates the run at once and holds its answer back: the process dies while the
    // answer is on its way, whatever the machine's speed.
    service.simulator.control.setKnobs({ holdAnswerMs: 60_000, faultsOn: (request) => request.method === 'POST' && request.path.endsWith('/trainings') });
    const { client, id, uploads } = await startedTraining(service, `fault-owner-${(owners += 1)}`);
    await reached(client, id, 'submitting');
    await waitFor('the trainer created the run', () => (service.simulator.control.trainings().some((t) => t.inputUrl.includes(`/${id}/`)) ? true : undefined));
    const killedAt = Date.now();
    await kill(first, 'SIGKILL');
    service.simulator.control.setKnobs({ holdAnswerMs: 0, faultsOn: null });
    expect((await client.training(id)).status).toBe('submitting');
    worker('crash-submit-b');
    const recoveryMs = await recoveredPast(client, id, 'submitting', killedAt);
    recoveries.push({ fault: 'SIGKILL mid-submit (default lease), 1 worker', outcome: 'succeeded', recoveryMs });
    await expectCleanEnd(service, client, id, uploads);
  }, RECOVERY_BOUND_MS + 60_000);

  // Two worker processes: the one holding the pipeline is killed as soon as the pipeline reaches
  // a step (a step boundary), or once the step has run for a while behind a slowed S3
  // (mid-step); the survivor takes over, and a fresh process replaces the dead one (started
  // while the pipeline runs, so the suite stays bounded). The single-process restart is the test above.
  const points: readonly { readonly status: string; readonly mid: boolean }[] = [
    { status: 'verifying_uploads', mid: false },
    { status: 'verifying_uploads', mid: true },
    { status: 'packaging', mid: false },
    { status: 'packaging', mid: true },
    { status: 'verifying_package', mid: false },
    { status: 'verifying_package', mid: true },
    { status: 'submitting', mid: false },
    { status: 'training', mid: false },
    { status: 'training', mid: true },
  ];
  it(`at ${points.length} step boundaries and mid-step, two workers, the holder killed: every pipeline resumes and ends clean`, async () => {
    let spawned = 0;
    let pair = [worker(`chain-${(spawned += 1)}`, SHORT_LEASE_MS), worker(`chain-${(spawned += 1)}`, SHORT_LEASE_MS)];
    await Promise.all(pair.map((w) => w.ready));
    for (const point of points) {
      if (point.mid) s3.delayMs = 40;
      const { client, id, uploads } = await startedTraining(service, `fault-owner-${(owners += 1)}`);
      const seen = await reached(client, id, point.status);
      if (point.mid && seen.status === point.status) await new Promise((resolve) => setTimeout(resolve, 150));
      const holderId = await leaseHolder(id);
      // Between two polls of a training nobody holds it: then either worker may be the next.
      const holder = pair.find((w) => w.id === holderId) ?? pair[0];
      const killedAt = Date.now();
      if (holder) await kill(holder, 'SIGKILL');
      // Where the dead worker left it (it may have finished the step as it was being killed).
      const at = (await client.training(id)).status;
      s3.delayMs = 0;
      const survivors = pair.filter((w) => w !== holder);
      pair = [...survivors, worker(`chain-${(spawned += 1)}`, SHORT_LEASE_MS)];
      const recoveryMs = at === 'succeeded' ? 0 : await recoveredPast(client, id, at, killedAt);
      recoveries.push({ fault: `SIGKILL ${point.mid ? 'mid-step' : 'at the start of'} ${point.status} (left at ${at}), 2 workers`, outcome: 'succeeded', recoveryMs });
      await expectCleanEnd(service, client, id, uploads);
    }
    for (const w of pair) await kill(w, 'SIGKILL');
  }, points.length * 20_000 + RECOVERY_BOUND_MS);

  it('SIGTERM hands the pipeline over at once: the other worker continues without waiting for the lease', async () => {
    // The default lease (15 s): a takeover much sooner shows the lease was given back.
    const first = worker('term-a');
    await first.ready;
    const { client, id, uploads } = await startedTraining(service, `fault-owner-${(owners += 1)}`);
    service.simulator.control.setKnobs({ autoComplete: { afterPolls: 1_000_000 } });
    const seen = await reached(client, id, 'training');
    expect(seen.status).toBe('training');
    const second = worker('term-b');
    await second.ready;
    const record = () => service.simulator.control.trainings().find((t) => t.inputUrl.includes(`/${id}/`))!;
    const stoppedAt = Date.now();
    await kill(first, 'SIGTERM');
    expect(first.child.exitCode).toBe(0);
    const polls = record().polls;
    await waitFor('the other worker polls the trainer', () => (record().polls > polls ? true : undefined), RECOVERY_BOUND_MS);
    recoveries.push({ fault: 'SIGTERM while training, 2 workers (default lease)', outcome: 'succeeded', recoveryMs: Date.now() - stoppedAt });
    service.simulator.control.setKnobs({ autoComplete: { afterPolls: 2 } });
    await service.simulator.control.complete(record().id);
    await expectCleanEnd(service, client, id, uploads);
    await kill(second, 'SIGTERM');
  }, 90_000);
});

describe('the `npm start` process (service and in-process worker) killed with SIGKILL', () => {
  it('mid-packaging, holding the lease: started again, it resumes within the bound and the pipeline ends clean', async () => {
    const port = await freePort();
    const started = () => {
      const process = spawnStart('npm-start', { ...environment, PORT: String(port) });
      running.add(process);
      return process;
    };
    const first = started();
    await first.ready;
    // Through the process's own HTTP server, as a person would; S3 slowed so packaging is caught under way.
    s3.delayMs = 100;
    const { client, id, uploads } = await startedTraining({ ...service, url: `http://127.0.0.1:${port}` }, `fault-owner-${(owners += 1)}`);
    expect((await reached(client, id, 'packaging')).status).toBe('packaging');
    const flowing = s3.relayedBytes;
    await waitFor('a transfer under way', () => (s3.relayedBytes > flowing ? true : undefined));
    const killedAt = Date.now();
    await kill(first, 'SIGKILL');
    running.delete(first);
    s3.delayMs = 0;
    const again = started();
    await again.ready;
    const recoveryMs = await recoveredPast(client, id, 'packaging', killedAt);
    recoveries.push({ fault: 'SIGKILL of the npm start process mid-packaging, restarted (default lease)', outcome: 'succeeded', recoveryMs });
    await expectCleanEnd(service, client, id, uploads);
    await kill(again, 'SIGTERM');
  }, RECOVERY_BOUND_MS + 60_000);
});
