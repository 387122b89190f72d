import pg from 'pg';

/** A plain connection of the test's own to `url` (superuser on the test server), for raw SQL that bypasses the repositories. */
export async function connectSql(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}
