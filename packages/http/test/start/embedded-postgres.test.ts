import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/start/embedded-postgres.js';

describe('embedded PostgreSQL (the default of npm start without DATABASE_URL)', () => {
  let root = '';
  const running: RunningPostgres[] = [];

  afterAll(async () => {
    await Promise.all(running.map((server) => server.stop()));
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('initialises a cluster in a fresh directory, accepts a connection, and starts again on the same data', async () => {
    root = await mkdtemp(join(tmpdir(), 'embedded-pg-'));
    const directory = join(root, '.data', 'postgres');
    // As root, the server runs as the postgres OS user, which must be able to reach the directory.
    await chmod(root, 0o755);
    const first = (await startEmbeddedPostgres({ directory }))._unsafeUnwrap();
    running.push(first);
    expect(first.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/selfie_lora$/);
    const client = new pg.Client({ connectionString: first.url });
    await client.connect();
    await client.query('CREATE TABLE kept (n int)');
    await client.query('INSERT INTO kept VALUES (42)');
    await client.end();
    if (process.getuid?.() === 0) expect((await stat(directory)).uid).not.toBe(0);
    await first.stop();

    // Persistent: the second start reuses the cluster and its password.
    const second = (await startEmbeddedPostgres({ directory }))._unsafeUnwrap();
    running.push(second);
    const again = new pg.Client({ connectionString: second.url });
    await again.connect();
    expect((await again.query<{ n: number }>('SELECT n FROM kept')).rows).toEqual([{ n: 42 }]);
    await again.end();
  }, 120_000);

  it('names DATABASE_URL when the data directory cannot be used', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'embedded-pg-bad-'));
    const blocker = join(scratch, 'a-file');
    await writeFile(blocker, 'not a directory');
    const failed = await startEmbeddedPostgres({ directory: join(blocker, 'postgres') });
    await rm(scratch, { recursive: true, force: true });
    expect(failed._unsafeUnwrapErr().setting).toBe('DATABASE_URL');
    expect(failed._unsafeUnwrapErr().message).toContain('DATABASE_URL is unset');
  });
});
