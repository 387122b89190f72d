import pg from 'pg';

/** The project's test server (SPEC: 127.0.0.1:5432, trust auth, database `test`); TEST_DATABASE_URL overrides it. */
export const SERVER_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs one statement on the test server over a connection of its own (creating or dropping a database or schema). */
export async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
