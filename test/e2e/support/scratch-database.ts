import { randomBytes } from 'node:crypto';
import { onServer, SERVER_URL } from '../../support/test-server.js';

export interface ScratchDatabase {
  readonly url: string;
  /** Drops the database, ending any session still on it. */
  drop(): Promise<void>;
}

/** A fresh, empty database of this test file's own. */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const name = `e2e_${randomBytes(6).toString('hex')}`;
  await onServer(`CREATE DATABASE ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
