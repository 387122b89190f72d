import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { connectSql } from './plain-connection.js';
import { onTestServer, testServerUrlFor } from './test-server.js';

export interface ScratchDatabase {
  readonly name: string;
  readonly url: string;
  /** A plain pg client on it, for raw SQL that bypasses the repositories; ended by `forceDrop()`. */
  client(): Promise<pg.Client>;
  /** Sessions still connected to it (other than the one asking). */
  sessions(): Promise<number>;
  /** Drops it; without FORCE, so it fails while anything is still connected. */
  drop(): Promise<void>;
  /** Ends the clients opened here and drops it whatever else is connected (test clean-up). */
  forceDrop(): Promise<void>;
}

/** A freshly created, empty database of its own on the test server, named `<prefix>_<random>`. */
export async function createScratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await onTestServer((server) => server.query(`CREATE DATABASE ${name}`));
  const url = testServerUrlFor(name);
  const clients: pg.Client[] = [];
  return {
    name,
    url,
    client: async () => {
      const client = await connectSql(url);
      clients.push(client);
      return client;
    },
    sessions: () =>
      onTestServer(async (server) => {
        const result = await server.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [name]);
        return Number(result.rows[0]?.n ?? 0);
      }),
    drop: () => onTestServer(async (server) => void (await server.query(`DROP DATABASE ${name}`))),
    forceDrop: async () => {
      await Promise.all(clients.map((client) => client.end()));
      await onTestServer(async (server) => void (await server.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
    },
  };
}
