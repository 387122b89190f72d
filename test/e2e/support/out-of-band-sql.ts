import pg from 'pg';

/**
 * Runs `work` in one committed transaction with `session_replication_role = replica`, as a
 * restore or a DBA with triggers off would: no trigger fires, so neither the schema's guards nor
 * its foreign keys (triggers in Postgres) are checked; CHECK, NOT NULL, UNIQUE and domains still
 * are. The role is LOCAL, so it ends with the transaction; on an error it rolls back and rethrows.
 *
 * Copied from packages/adapters/test/postgres/support/out-of-band.ts (a few lines): the
 * cross-package tests may not import another package's test files.
 */
export async function outOfBand<T>(client: pg.Client, work: (client: pg.Client) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query('SET LOCAL session_replication_role = replica');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/** A plain connection of the test's own to the service's database (superuser on the test server). */
export async function connectSql(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}
