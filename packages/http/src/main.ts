// `npm start`: the HTTP service and a worker in one process, on embedded defaults for every
// service that is not configured (see README "Run the service").
import { resolve } from 'node:path';
import { banner } from './start/banner.js';
import { configure } from './start/configure.js';
import { startService } from './start/start-service.js';

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
  const service = await startService(env, { dataDirectory: resolve('.data'), say }).match(
    (running) => running,
    (failure) => {
      process.stderr.write(`Could not start: ${failure.message}\n`);
      return null;
    },
  );
  if (service === null) return 1;
  for (const line of banner(service)) say(line);
  await new Promise<void>((done) => {
    const shutDown = (signal: string) => {
      say(`${signal}: stopping the worker, the server and the services...`);
      void service.stop().then(done, (error: unknown) => {
        process.stderr.write(`error while stopping: ${String(error)}\n`);
        done();
      });
    };
    // Ours alone: a library's own hooks could exit at once, under a worker step in progress;
    // ours stops everything in order, the embedded Postgres last.
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    process.once('SIGINT', () => shutDown('SIGINT'));
    process.once('SIGTERM', () => shutDown('SIGTERM'));
  });
  return 0;
}

// Explicit: the exit code says whether start-up failed.
process.exit(await main());
