import { chmod, cp, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/postgres/embedded-postgres.js';

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

// As root the server runs as the `postgres` OS user. A checkout under a directory only root can
// enter (a clone in /root, mode 700) used to crash with `spawn .../initdb EACCES`.
describe.runIf(process.getuid?.() === 0)('embedded PostgreSQL started by root from a private checkout', () => {
  let scratch = '';
  const running: RunningPostgres[] = [];

  afterAll(async () => {
    await Promise.all(running.map((server) => server.stop()));
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('moves what the postgres user cannot reach (binaries and data) to a reachable place, says where, and keeps it there', async () => {
    scratch = await mkdtemp(join(tmpdir(), 'embedded-pg-private-'));
    await chmod(scratch, 0o755);
    const privateCheckout = join(scratch, 'private');
    const reachableRoot = join(scratch, 'reachable');
    // A checkout whose node_modules (and so the binaries) sit below a mode-700 directory.
    const packaged = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
    const binaries = join(privateCheckout, 'checkout', 'native');
    await cp(dirname(dirname(packaged.postgres)), binaries, { recursive: true, verbatimSymlinks: true });
    await chmod(privateCheckout, 0o700);
    const directory = join(privateCheckout, 'checkout', '.data', 'postgres');

    const first = (await startEmbeddedPostgres({ directory, binaries, reachableRoot }))._unsafeUnwrap();
    running.push(first);
    expect(first.dataDirectory.startsWith(`${reachableRoot}/selfie-lora-`)).toBe(true);
    expect(first.moved.join('\n')).toContain(`binaries were copied to ${reachableRoot}/selfie-lora-`);
    expect(first.moved.join('\n')).toContain(`data is in ${first.dataDirectory} instead of ${directory}`);
    const client = new pg.Client({ connectionString: first.url });
    await client.connect();
    await client.query('CREATE TABLE kept (n int)');
    await client.query('INSERT INTO kept VALUES (7)');
    await client.end();
    await first.stop();
    // Nothing above the checkout was opened up.
    expect((await stat(privateCheckout)).mode & 0o777).toBe(0o700);

    const second = (await startEmbeddedPostgres({ directory, binaries, reachableRoot }))._unsafeUnwrap();
    running.push(second);
    expect(second.dataDirectory).toBe(first.dataDirectory);
    const again = new pg.Client({ connectionString: second.url });
    await again.connect();
    expect((await again.query<{ n: number }>('SELECT n FROM kept')).rows).toEqual([{ n: 7 }]);
    await again.end();
  }, 120_000);

  it('stops before creating anything, saying what to do, when there is no OS user to run the server as', async () => {
    const root = await mkdtemp(join(tmpdir(), 'embedded-pg-nouser-'));
    try {
      const failed = await startEmbeddedPostgres({ directory: join(root, '.data', 'postgres'), osUser: 'selfie-no-such-user' });
      const message = failed._unsafeUnwrapErr().message;
      expect(message).toContain('"selfie-no-such-user" OS user and there is none: create it (useradd --system selfie-no-such-user)');
      expect(message).toContain('or set DATABASE_URL');
      expect(message).not.toContain('\n');
      expect(await readdir(root)).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
