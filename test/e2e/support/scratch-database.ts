import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The project's test server (SPEC: 127.0.0.1:5432, trust auth, database `test`); TEST_DATABASE_URL overrides it. */
const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface ScratchDatabase {
  readonly url: string;
  /** Drops the database, ending any session still on it. */
  drop(): Promise<void>;
}

async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database of this test file's own. */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const name = `e2e_${randomBytes(6).toString('hex')}`;
  await onServer(`CREATE DATABASE ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
