// A worker in a process of its own, as `npm run worker` runs one, for tests that kill it
// (SIGKILL) or stop it (SIGTERM). FAULT_LEASE_MS shortens its lease, FAULT_RETRY_ATTEMPTS and
// FAULT_RETRY_BASE_MS its retry budget (an outage past it in seconds); unset, the defaults hold.
import { createServiceContainer, parseEnv } from '@selfie-lora/adapters';
import { startWorker } from '@selfie-lora/http';

const env = parseEnv(process.env).match(
  (valid) => valid,
  (problems) => {
    throw new Error(`worker process: bad environment ${JSON.stringify(problems)}`);
  },
);
const container = (await createServiceContainer(env)).match(
  (built) => built,
  (failure) => {
    throw new Error(`worker process: ${failure.setting}: ${failure.message}`);
  },
);
const leaseMs = process.env['FAULT_LEASE_MS'] === undefined ? {} : { leaseMs: Number(process.env['FAULT_LEASE_MS']) };
const retries = process.env['FAULT_RETRY_ATTEMPTS'];
const deps =
  retries === undefined
    ? container.deps
    : {
        ...container.deps,
        config: {
          ...container.deps.config,
          retryPolicy: { ...container.deps.config.retryPolicy, maxAttempts: Number(retries), baseDelayMs: Number(process.env['FAULT_RETRY_BASE_MS'] ?? 200) },
        },
      };
const worker = startWorker({
  deps,
  leases: container.leases,
  workerId: process.env['FAULT_WORKER_ID'] ?? `fault-worker-${process.pid}`,
  pollIntervalMs: env.TRAINING_POLL_INTERVAL_MS,
  idleDelayMs: 50,
  ...leaseMs,
  onError: (error) => process.stderr.write(`worker error: ${error instanceof Error ? error.message : JSON.stringify(error)}\n`),
});
process.once('SIGTERM', () => {
  void worker
    .stop()
    .then(() => container.close())
    .finally(() => process.exit(0));
});
process.stdout.write('ready\n');
