import type pg from 'pg';

/**
 * Runs `work` on `client` in one committed transaction with `session_replication_role = replica`,
 * as a restore or a DBA with triggers off would: no trigger fires, so neither the schema's guards
 * (status edges, revision, immutable rows, provenance, training-set completeness, schedule rows)
 * nor foreign keys (enforced by triggers in Postgres) are checked. CHECK, NOT NULL, UNIQUE and
 * domain constraints still are. For audit tests that need rows the schema normally refuses.
 * The role is set LOCAL, so it ends with the transaction; on an error it rolls back and rethrows.
 * `client` must be a plain connection with no transaction open (needs a superuser, as in tests).
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
