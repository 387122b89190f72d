import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The test server (127.0.0.1:5432, trust auth); override with TEST_DATABASE_URL. */
const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function onServer<T>(task: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await task(client);
  } finally {
    await client.end();
  }
}

export interface ScratchDatabase {
  readonly url: string;
  /** Sessions still connected to it (other than the one asking). */
  sessions(): Promise<number>;
  /** Drops it; without FORCE, so it fails while anything is still connected. */
  drop(): Promise<void>;
  /** Drops it whatever is connected (test clean-up). */
  forceDrop(): Promise<void>;
}

export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const name = `start_test_${randomBytes(6).toString('hex')}`;
  await onServer((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    sessions: () =>
      onServer(async (client) => {
        const result = await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [name]);
        return Number(result.rows[0]?.n ?? 0);
      }),
    drop: () => onServer(async (client) => void (await client.query(`DROP DATABASE ${name}`))),
    forceDrop: () => onServer(async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}
