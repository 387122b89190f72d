import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const worker = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
const start = fileURLToPath(new URL('../../../packages/http/src/main.ts', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));

export interface WorkerProcess {
  readonly id: string;
  readonly child: ChildProcess;
  /** Resolves once the worker has started (its container is open). */
  readonly ready: Promise<void>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** The last lines it wrote on stderr, for failure messages. */
  stderr(): string;
}

/** Starts `test/fault/support/worker-process.ts` with tsx, on the workspace sources. */
export function spawnWorker(id: string, environment: Readonly<Record<string, string>>, leaseMs?: number): WorkerProcess {
  return spawnOnSources(id, worker, { ...environment, FAULT_WORKER_ID: id, ...(leaseMs === undefined ? {} : { FAULT_LEASE_MS: String(leaseMs) }) }, 'ready');
}

/** Starts the real `npm start` entry (service and in-process worker) with tsx, configured by `environment`. */
export function spawnStart(id: string, environment: Readonly<Record<string, string>>): WorkerProcess {
  return spawnOnSources(id, start, environment, 'is serving at');
}

function spawnOnSources(id: string, entry: string, environment: Readonly<Record<string, string>>, readyLine: string): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@selfie-lora/source', entry], {
    cwd: root,
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-4000);
      if (out.includes(readyLine)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${id} exited (${String(code)}) before it was ready: ${errors}`)));
  });
  ready.catch(() => undefined);
  return { id, child, ready, exited, stderr: () => errors };
}

/** Kills with `signal` and waits for the process to be gone. */
export async function kill(worker: WorkerProcess, signal: NodeJS.Signals): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill(signal);
  await worker.exited;
}
