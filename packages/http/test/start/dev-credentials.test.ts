import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@selfie-lora/local-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '@selfie-lora/testkit/postgres';
import { configure } from '../../src/start/configure.js';
import { startService } from '../../src/start/start-service.js';

// A half-configured production start (say: a real database, the rest unset) must not make up
// an admin token and print it into the logs: only a fully embedded start, or DEV_CREDENTIALS=true.
describe('development credentials are generated only when every service is embedded, or on request', () => {
  let database: ScratchDatabase;
  let dataDirectory: string;

  beforeAll(async () => {
    database = await createScratchDatabase('start_test');
    dataDirectory = await mkdtemp(join(tmpdir(), 'dev-credentials-'));
  });
  afterAll(async () => {
    await database.forceDrop();
    await rm(dataDirectory, { recursive: true, force: true });
  });

  it('with a real database and no AUTH_JWT_SECRET/ADMIN_TOKEN it refuses, naming the real service, and stops the stand-ins it started', async () => {
    const env = configure({ DATABASE_URL: database.url, PORT: String(await freePort()) })._unsafeUnwrap();
    const said: string[] = [];
    const failed = await startService(env, { dataDirectory, say: (line) => said.push(line) });
    if (failed.isOk()) await failed.value.stop();
    expect(failed._unsafeUnwrapErr().setting).toBe('AUTH_JWT_SECRET');
    expect(failed._unsafeUnwrapErr().message).toBe(
      'AUTH_JWT_SECRET is not set: it is required when any service is real (here postgres); only a fully embedded start generates development credentials (or set DEV_CREDENTIALS=true)',
    );
    expect(said.join('\n')).not.toMatch(/ADMIN_TOKEN=|TOKEN=ey/);
    await expect.poll(() => database.sessions()).toBe(0);
  });

  it('with DEV_CREDENTIALS=true it makes up a secret and a demo token for this run; with a real AUTH_JWT_SECRET it makes up nothing', async () => {
    const port = await freePort();
    const env = configure({ DATABASE_URL: database.url, PORT: String(port), DEV_CREDENTIALS: 'true' })._unsafeUnwrap();
    const service = (await startService(env, { dataDirectory, say: () => undefined }))._unsafeUnwrap();
    try {
      const audit = await fetch(`${service.url}/v1/admin/audit`, { headers: { authorization: `Bearer ${service.adminToken}` } });
      expect(audit.status).toBe(200);
      const mine = await fetch(`${service.url}/v1/uploads`, { headers: { authorization: `Bearer ${service.devToken ?? ''}` } });
      expect(mine.status).toBe(200);
    } finally {
      await service.stop();
    }

    const withSecret = configure({ DATABASE_URL: database.url, PORT: String(port), DEV_CREDENTIALS: 'true', AUTH_JWT_SECRET: 'a-real-jwt-secret-of-the-host-application-0123' })._unsafeUnwrap();
    const failed = await startService(withSecret, { dataDirectory, say: () => undefined });
    if (failed.isOk()) await failed.value.stop();
    expect(failed._unsafeUnwrapErr().message).toBe(
      'ADMIN_TOKEN is not set: it is required with a real AUTH_JWT_SECRET (development credentials are made only without one)',
    );
    await expect.poll(() => database.sessions()).toBe(0);
  }, 30_000);
});
