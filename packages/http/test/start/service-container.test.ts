import { createServiceContainer, parseEnv, type Env } from '@selfie-lora/adapters/composition';
import { freePort, startLocalS3, type LocalS3 } from '@selfie-lora/local-stack';
import { startReplicateSimulator, type RunningSimulator } from '@selfie-lora/replicate-simulator';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnerId, registerUpload } from '@selfie-lora/core';
import { sha256Of } from '@selfie-lora/testkit/photos';
import { createScratchDatabase, type ScratchDatabase } from '@selfie-lora/testkit/postgres';
import { buildHttpApp } from '../../src/index.js';
import { jpeg } from '../support/images.js';
import { photoForm } from '../support/multipart.js';
import { ADMIN_TOKEN, bearer, JWT_SECRET, tokenFor } from '../support/tokens.js';

const WEBHOOK_SECRET = 'whsec_c2VydmljZS1jb250YWluZXItdGVzdC1zZWNyZXQ';

async function* streamOf(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield await Promise.resolve(bytes);
}

describe('the composition root on real services (Postgres, s3rver, the Replicate simulator)', () => {
  let database: ScratchDatabase;
  let s3: LocalS3;
  let simulator: RunningSimulator;
  let s3Directory: string;

  beforeAll(async () => {
    database = await createScratchDatabase('start_test');
    s3Directory = await mkdtemp(join(tmpdir(), 'container-s3-'));
    s3 = await startLocalS3({ directory: s3Directory });
    simulator = await startReplicateSimulator({ webhookSecret: WEBHOOK_SECRET, account: 'acme' });
  });

  afterAll(async () => {
    await simulator.close();
    await s3.close();
    await rm(s3Directory, { recursive: true, force: true });
    await database.forceDrop();
  });

  function environment(overrides: Record<string, string> = {}): Env {
    return parseEnv({
      DATABASE_URL: database.url,
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_BUCKET: 'container-test',
      S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
      REPLICATE_API_TOKEN: 'r8_simulated',
      REPLICATE_BASE_URL: simulator.baseUrl,
      REPLICATE_TRAINER: 'ostris/flux-dev-lora-trainer:abc123',
      REPLICATE_DESTINATION_OWNER: 'acme',
      REPLICATE_DESTINATION_STRATEGY: 'shared',
      REPLICATE_SHARED_MODEL: 'selfies',
      REPLICATE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PUBLIC_BASE_URL: 'https://selfies.example.com',
      TRAINING_MIN_PHOTOS: '12',
      // Synthetic photos (flat colours) show no face.
      FACE_CHECKS: 'off',
      ...overrides,
    })._unsafeUnwrap();
  }

  it('builds, is ready, wires the configuration, and releases every connection when closed', async () => {
    const service = (await createServiceContainer(environment()))._unsafeUnwrap();
    try {
      expect((await service.readiness()).isOk()).toBe(true);
      expect(service.deps.config.minPhotos).toBe(12);
      expect(service.deps.config.destinationStrategy).toEqual({ kind: 'shared', account: 'acme', model: 'selfies' });
      // The bucket was created at start; the database was migrated (the leases table exists and answers).
      expect((await service.leases.claim({ workerId: 'w', limit: 5, leaseMs: 1000, now: new Date() }))._unsafeUnwrap()).toEqual([]);
      const stored = await service.deps.objects.inspect('nothing/here.jpg');
      expect(stored._unsafeUnwrap()).toEqual({ exists: false });
      // The verifier is bound to the secret: a forged delivery is refused with a message fit for the sender.
      const forged = service.verifyWebhook({
        headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' },
        rawBody: '{}',
      });
      expect(forged._unsafeUnwrapErr()).toEqual({ code: 'webhook.bad_signature', message: 'The webhook signature does not match.' });
      expect(await database.sessions()).toBeGreaterThan(0);
    } finally {
      await service.close();
    }
    await expect.poll(() => database.sessions()).toBe(0);
    const down = (await service.readiness())._unsafeUnwrapErr();
    expect(down.code).toBe('service.not_ready');
    // Public (`/readyz`): which dependency, never the bucket's name or the raw cause (logged instead).
    expect(down.message).toBe('The service is not ready: its database is not reachable. Please try again shortly.');
    await service.close(); // twice is harmless
  });

  it('names DATABASE_URL when the database cannot be opened', async () => {
    const url = new URL(database.url);
    url.pathname = '/no_such_database_here';
    const failed = await createServiceContainer(environment({ DATABASE_URL: url.toString() }));
    expect(failed._unsafeUnwrapErr().setting).toBe('DATABASE_URL');
    expect(failed._unsafeUnwrapErr().message).toContain('127.0.0.1:5432/no_such_database_here');
  });

  it('names S3_BUCKET when the store is unreachable, and closes the database it had opened', async () => {
    const closedPort = await freePort();
    const failed = await createServiceContainer(environment({ S3_ENDPOINT: `http://127.0.0.1:${closedPort}` }));
    expect(failed._unsafeUnwrapErr().setting).toBe('S3_BUCKET');
    expect(failed._unsafeUnwrapErr().message).toContain(`http://127.0.0.1:${closedPort}`);
    await expect.poll(() => database.sessions()).toBe(0);
  }, 30_000);

  it('names the first missing variable instead of guessing', async () => {
    const withoutDatabase = parseEnv({})._unsafeUnwrap();
    const failed = await createServiceContainer(withoutDatabase);
    expect(failed._unsafeUnwrapErr().setting).toBe('DATABASE_URL');
    expect(failed._unsafeUnwrapErr().message).toMatch(/^DATABASE_URL is not set/);
  });

  it('applies UPLOAD_MAX_BYTES and UPLOAD_MIN_* to the core and to the multipart limit', async () => {
    const service = (
      await createServiceContainer(environment({ S3_BUCKET: 'upload-policy-test', UPLOAD_MAX_BYTES: '20000', UPLOAD_MIN_WIDTH: '300', UPLOAD_MIN_HEIGHT: '320', PHOTO_CHECKS_AFTER_ANSWER: 'off' }))
    )._unsafeUnwrap();
    const app = buildHttpApp({ deps: service.deps, auth: { jwtSecret: JWT_SECRET }, adminToken: ADMIN_TOKEN });
    try {
      expect(service.deps.config.uploadPolicy).toEqual({ maxBytes: 20_000, minWidth: 300, minHeight: 320 });
      const big = await jpeg(1, { width: 512, height: 512, noisy: true });
      const fits = await jpeg(2, { width: 320, height: 320 });
      const narrow = await jpeg(3, { width: 299, height: 400 });
      // Well within the default 20 MiB and 256x256: only the configured policy refuses these.
      expect(big.byteLength).toBeGreaterThan(20_000);
      expect(big.byteLength).toBeLessThan(20 * 1024 * 1024);
      expect(fits.byteLength).toBeLessThan(20_000);
      expect(narrow.byteLength).toBeLessThan(20_000);

      const owner = OwnerId.parse('policy-owner')._unsafeUnwrap();
      const direct = await registerUpload(service.deps, { ownerId: owner, body: streamOf(big) });
      expect(direct._unsafeUnwrapErr().code).toBe('upload.too_large');

      await app.ready();
      const auth = bearer(await tokenFor('policy-owner'));
      const post = (bytes: Uint8Array) => {
        const form = photoForm(bytes);
        return app.inject({ method: 'POST', url: '/v1/uploads', headers: { ...auth, ...form.headers }, payload: form.payload });
      };
      const tooLarge = await post(big);
      expect([tooLarge.statusCode, tooLarge.json<{ code: string }>().code]).toEqual([413, 'upload.too_large']);
      const tooSmall = await post(narrow);
      expect([tooSmall.statusCode, tooSmall.json<{ code: string }>().code]).toEqual([422, 'upload.too_small']);
      const stored = await post(fits);
      expect(stored.statusCode, stored.body).toBe(201);
      expect(stored.json<{ upload: { width: number; sourceSha256: string } }>().upload).toMatchObject({ width: 320, sourceSha256: sha256Of(fits) });
    } finally {
      await app.close();
      await service.close();
    }
  });

  it('a dropped database after close proves nothing was left connected', async () => {
    const scratch = await createScratchDatabase('start_test');
    const service = (await createServiceContainer(environment({ DATABASE_URL: scratch.url })))._unsafeUnwrap();
    await service.close();
    await expect(scratch.drop()).resolves.toBeUndefined();
  });
});
