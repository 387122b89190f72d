import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '@selfie-lora/adapters/composition';
import { freePort, startEmbeddedServices } from '@selfie-lora/local-stack';
import { createScratchDatabase, type ScratchDatabase } from '@selfie-lora/testkit/postgres';
import { configure } from '../../src/start/configure.js';
import { openSharedServices } from '../../src/start/open-shared-services.js';
import { startService } from '../../src/start/start-service.js';
import { REAL_SERVICES } from './support/real-services.js';

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

  it.each([
    [{ S3_ENDPOINT: 'http://127.0.0.1:9000' }, 'S3_BUCKET'],
    [{ S3_ENDPOINT: 'http://127.0.0.1:9000', S3_REGION: 'eu-west-1', S3_FORCE_PATH_STYLE: 'true' }, 'S3_BUCKET'],
    [{ REPLICATE_BASE_URL: 'http://127.0.0.1:8080' }, 'REPLICATE_API_TOKEN'],
    [{ REPLICATE_DESTINATION_STRATEGY: 'shared' }, 'REPLICATE_API_TOKEN'],
  ])('refuses %o without its service, naming both, instead of embedding a stand-in that ignores it', (partial, key) => {
    const failed = configure(partial)._unsafeUnwrapErr();
    expect(failed).toContain(`${key} is required when ${Object.keys(partial).join(', ')}`);
  });

  it('the worker and the audit refuse the same half-set service before opening anything', async () => {
    const complaints: string[] = [];
    const opened = await openSharedServices('the audit', { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', S3_ENDPOINT: 'http://127.0.0.1:9000' }, (text) =>
      complaints.push(text),
    );
    expect(opened).toBeNull();
    expect(complaints.join('\n')).toContain('S3_BUCKET is required when S3_ENDPOINT is set');
  });
});

describe('startEmbeddedServices never replaces a configured variable with a stand-in', () => {
  it.each([
    ['S3_ENDPOINT', { S3_ENDPOINT: 'http://127.0.0.1:9000' }],
    ['S3_REGION, S3_CHECKSUM_MODE', { S3_REGION: 'eu-west-1', S3_CHECKSUM_MODE: 'when_supported' as const }],
    ['REPLICATE_BASE_URL', { REPLICATE_BASE_URL: 'http://127.0.0.1:8080' }],
    ['REPLICATE_DESTINATION_STRATEGY', { REPLICATE_DESTINATION_STRATEGY: 'shared' as const }],
  ])('refuses %s set without its service, before starting anything', async (named, stray) => {
    // parseEnv refuses these; an Env made another way must not reach a stand-in either.
    const env: Env = { ...configure({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' })._unsafeUnwrap(), ...stray };
    const said: string[] = [];
    const dataDirectory = await mkdtemp(join(tmpdir(), 'stray-variables-'));
    try {
      const failed = await startEmbeddedServices(env, { dataDirectory, serviceUrl: 'http://127.0.0.1:1', say: (line) => said.push(line) });
      if (failed.isOk()) await failed.value.stop();
      expect(failed._unsafeUnwrapErr().setting).toBe(named);
      expect(failed._unsafeUnwrapErr().message).toContain(`${named} ${named.includes(',') ? 'are' : 'is'} set without`);
      expect(said).toEqual([]);
      expect(await readdir(dataDirectory)).toEqual([]);
    } finally {
      await rm(dataDirectory, { recursive: true, force: true });
    }
  });
});

describe('startService: the shell, a worker and embedded stand-ins in one process', () => {
  let database: ScratchDatabase;
  let dataDirectory: string;
  const said: string[] = [];

  beforeAll(async () => {
    database = await createScratchDatabase('start_test');
    dataDirectory = await mkdtemp(join(tmpdir(), 'start-service-'));
  });
  afterAll(async () => {
    await database.forceDrop();
    await rm(dataDirectory, { recursive: true, force: true });
  });

  it('serves with an embedded S3 and the SIMULATED trainer, hands out a working dev token, and stops cleanly', async () => {
    const port = await freePort();
    // The database is real, so dev credentials take the explicit flag (only a fully embedded start makes them up).
    const env = configure({ DATABASE_URL: database.url, PORT: String(port), DEV_CREDENTIALS: 'true' })._unsafeUnwrap();
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
    // A closed session can stay listed for a moment after its socket ends.
    await expect.poll(() => database.sessions()).toBe(0);
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
  }, 30_000);

  it('refuses real services without AUTH_JWT_SECRET, naming it, before opening anything', async () => {
    const env = configure({ ...REAL_SERVICES, DATABASE_URL: database.url, ADMIN_TOKEN: 'a-long-enough-admin-token-here' })._unsafeUnwrap();
    const failed = await startService(env, { dataDirectory, say: () => undefined });
    expect(failed._unsafeUnwrapErr().setting).toBe('AUTH_JWT_SECRET');
    // A closed session can stay listed for a moment after its socket ends.
    await expect.poll(() => database.sessions()).toBe(0);
  });
});
