import pg from 'pg';

/** The project's test server (SPEC: 127.0.0.1:5432, trust auth, database `test`); TEST_DATABASE_URL overrides it. */
export const TEST_SERVER_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs `task` on the test server over a connection of its own (creating or dropping a database or schema). */
export async function onTestServer<T>(task: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_SERVER_URL });
  await client.connect();
  try {
    return await task(client);
  } finally {
    await client.end();
  }
}

/** The test server's URL with another database in its path. */
export function testServerUrlFor(database: string): string {
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${database}`;
  return url.toString();
}
