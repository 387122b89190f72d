// `npm run worker`: a worker alone, sharing the service's PostgreSQL, S3 and Replicate. It has no
// embedded defaults: an embedded PostgreSQL (or S3, or simulator) belongs to the `npm start`
// process that started it and cannot be shared with a second process.
import { createServiceContainer } from '@selfie-lora/adapters';
import { hostname } from 'node:os';
import { configure } from './start/configure.js';
import { describeCause } from './start/start-error.js';
import { startWorker } from './worker/index.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const env = configure(process.env).match(
    (valid) => valid,
    (problems) => {
      process.stderr.write(`${problems}\n`);
      return null;
    },
  );
  if (env === null) return 1;
  if (env.DATABASE_URL === undefined) {
    process.stderr.write(
      'DATABASE_URL is not set: a separate worker needs the PostgreSQL database the service uses.\n' +
        "The embedded PostgreSQL of `npm start` belongs to that process and cannot be shared; `npm start` already runs a worker.\n",
    );
    return 1;
  }
  const container = await createServiceContainer(env).match(
    (built) => built,
    (failure) => {
      process.stderr.write(`Could not start the worker: ${failure.message}\n`);
      return null;
    },
  );
  if (container === null) return 1;
  const workerId = `${hostname()}:${process.pid}:worker`;
  const worker = startWorker({
    deps: container.deps,
    leases: container.leases,
    workerId,
    pollIntervalMs: env.TRAINING_POLL_INTERVAL_MS,
    onError: (error) => process.stderr.write(`worker: ${describeCause(error)}\n`),
  });
  say(`Worker ${workerId} is running. Press Ctrl+C to stop.`);
  await new Promise<void>((done) => {
    const shutDown = () => {
      void worker
        .stop()
        .then(() => container.close())
        .then(done, () => done());
    };
    process.once('SIGINT', shutDown);
    process.once('SIGTERM', shutDown);
  });
  return 0;
}

process.exit(await main());
