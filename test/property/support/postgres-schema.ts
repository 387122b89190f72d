import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresDatabase, type PostgresDatabase } from '@selfie-lora/adapters/postgres';
import { onTestServer, TEST_SERVER_URL } from '@selfie-lora/testkit/postgres';

/**
 * A schema of its own on the test server, migrated through the real adapter, for one test file.
 */
export interface PropertySchema {
  readonly name: string;
  /** The core's UnitOfWork over the schema: the real adapter, with the real pool and transactions. */
  readonly db: PostgresDatabase;
  /** A plain connection on the schema, for reading rows with SQL that owes nothing to the adapter. */
  readonly sql: pg.Client;
  /** Empties every table the core writes (the status edges stay), between runs of a property. */
  reset(): Promise<void>;
  /** Closes everything opened here and drops the schema with all it holds. */
  drop(): Promise<void>;
}

export async function createPropertySchema(prefix: string): Promise<PropertySchema> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const opened = await createPostgresDatabase({ url: TEST_SERVER_URL, schema: name, poolSize: 12 });
  if (opened.isErr()) throw new Error(`could not open schema ${name}: ${opened.error.code} ${opened.error.detail ?? ''}`);
  const db = opened.value;
  const sql = new pg.Client({ connectionString: TEST_SERVER_URL, options: `-c search_path=${name}` });
  try {
    await sql.connect();
  } catch (error) {
    await db.close();
    await onTestServer((server) => server.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`));
    throw error;
  }
  return {
    name,
    db,
    sql,
    reset: async () => {
      // DELETE over a few rows is far quicker than TRUNCATE. The schema's triggers refuse deleting
      // a training set's items; the replica role (LOCAL: this transaction only) turns them off.
      await sql.query(`BEGIN;
        SET LOCAL session_replication_role = replica;
        DELETE FROM models; DELETE FROM pipeline_items; DELETE FROM pipeline_schedule; DELETE FROM pipelines;
        DELETE FROM uploads; DELETE FROM webhook_deliveries; DELETE FROM erasures;
        COMMIT`);
    },
    drop: async () => {
      try {
        await db.close();
        await sql.end();
      } finally {
        await onTestServer((server) => server.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`));
      }
    },
  };
}
