import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configure } from '../../src/start/configure.js';
import { freePort } from '../../src/start/free-port.js';
import { startService } from '../../src/start/start-service.js';
import { createScratchDatabase, type ScratchDatabase } from './support/test-postgres.js';

describe("main's configuration step", () => {
  it('names a bad variable', () => {
    const failed = configure({ PORT: 'eighty' })._unsafeUnwrapErr();
    expect(failed).toMatch(/^Invalid configuration:/);
    expect(failed).toContain('PORT must be a positive whole number, got "eighty"');
  });

  it('names every missing variable of a half-set service', () => {
    const failed = configure({ S3_BUCKET: 'photos' })._unsafeUnwrapErr();
    expect(failed).toContain('S3_ACCESS_KEY_ID is required when S3_BUCKET is set (S3)');
    expect(failed).toContain('S3_SECRET_ACCESS_KEY is required');
  });
});

describe('startService: the shell, a worker and embedded stand-ins in one process', () => {
  let database: ScratchDatabase;
  let dataDirectory: string;
  const said: string[] = [];

  beforeAll(async () => {
    database = await createScratchDatabase();
    dataDirectory = await mkdtemp(join(tmpdir(), 'start-service-'));
  });
  afterAll(async () => {
    await database.forceDrop();
    await rm(dataDirectory, { recursive: true, force: true });
  });

  it('serves with an embedded S3 and the SIMULATED trainer, hands out a working dev token, and stops cleanly', async () => {
    const port = await freePort();
    const env = configure({ DATABASE_URL: database.url, PORT: String(port) })._unsafeUnwrap();
    const started = await startService(env, { dataDirectory, say: (line) => said.push(line) });
    if (started.isErr()) throw new Error(started.error.message);
    const service = started.value;
    try {
      expect(service.url).toBe(`http://127.0.0.1:${port}`);
      expect(service.embedded).toEqual(['s3', 'replicate']);
      expect(said.join('\n')).toContain('THE TRAINER IS SIMULATED');
      expect(service.container.deps.config.destinationStrategy).toEqual({ kind: 'per-owner', account: 'selfie-lora-dev' });

      const ready = await fetch(`${service.url}/readyz`);
      expect(ready.status).toBe(200);
      const anonymous = await fetch(`${service.url}/v1/uploads`);
      expect(anonymous.status).toBe(401);
      const mine = await fetch(`${service.url}/v1/uploads`, { headers: { authorization: `Bearer ${service.devToken ?? ''}` } });
      expect(mine.status).toBe(200);
    } finally {
      await service.stop();
    }
    expect(await database.sessions()).toBe(0);
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
  }, 30_000);

  it('refuses real services without AUTH_JWT_SECRET, naming it, before opening anything', async () => {
    const env = configure({
      DATABASE_URL: database.url,
      S3_BUCKET: 'photos',
      S3_ACCESS_KEY_ID: 'a',
      S3_SECRET_ACCESS_KEY: 'b',
      REPLICATE_API_TOKEN: 'r8_x',
      REPLICATE_TRAINER: 'ostris/flux-dev-lora-trainer:abc123',
      REPLICATE_DESTINATION_OWNER: 'acme',
      REPLICATE_WEBHOOK_SECRET: 'whsec_c2VjcmV0',
      PUBLIC_BASE_URL: 'https://selfies.example.com',
      ADMIN_TOKEN: 'a-long-enough-admin-token-here',
    })._unsafeUnwrap();
    const failed = await startService(env, { dataDirectory, say: () => undefined });
    expect(failed._unsafeUnwrapErr().setting).toBe('AUTH_JWT_SECRET');
    expect(await database.sessions()).toBe(0);
  });
});
