import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresDatabase, type PostgresDatabase } from '../../../src/postgres/index.js';

/** The test server (SPEC: 127.0.0.1:5432, trust auth, database `test`); override with TEST_DATABASE_URL. */
const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** A plain pg client on the same database, for raw SQL that bypasses the repositories. */
  client(): Promise<pg.Client>;
  /** Connects and migrates through the adapter. */
  open(options?: { schema?: string }): Promise<PostgresDatabase>;
  /** Closes everything opened here and drops the database. */
  drop(): Promise<void>;
}

function urlFor(database: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onServer<T>(task: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await task(client);
  } finally {
    await client.end();
  }
}

/** A freshly created, empty database of its own, dropped by `drop()`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `adapters_test_${randomBytes(6).toString('hex')}`;
  await onServer((client) => client.query(`CREATE DATABASE ${name}`));
  const url = urlFor(name);
  const clients: pg.Client[] = [];
  const databases: PostgresDatabase[] = [];
  return {
    name,
    url,
    client: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      clients.push(client);
      return client;
    },
    open: async (options = {}) => {
      const database = (await createPostgresDatabase({ url, ...options }))._unsafeUnwrap();
      databases.push(database);
      return database;
    },
    drop: async () => {
      await Promise.all(databases.map((database) => database.close()));
      await Promise.all(clients.map((client) => client.end()));
      await onServer((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
