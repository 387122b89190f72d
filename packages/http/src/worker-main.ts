// `npm run worker`: a worker alone, sharing the service's PostgreSQL, S3 and Replicate. It has no
// embedded defaults: an embedded PostgreSQL (or S3, or simulator) belongs to the `npm start`
// process that started it and cannot be shared with a second process.
import { hostname } from 'node:os';
import { openSharedServices } from './start/open-shared-services.js';
import { startWorker, workerSettings } from './worker/index.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const opened = await openSharedServices('a separate worker (`npm start` already runs one)', process.env, (text) => process.stderr.write(`${text}\n`));
  if (opened === null) return 1;
  const { env, container } = opened;
  const workerId = `${hostname()}:${process.pid}:worker`;
  const worker = startWorker({
    deps: container.deps,
    leases: container.leases,
    workerId,
    ...workerSettings(container.deps, env),
    onError: (error) => container.logger.error({ err: error, workerId }, 'worker: a step or a lease call failed'),
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
