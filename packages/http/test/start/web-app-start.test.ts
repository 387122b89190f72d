import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@selfie-lora/local-stack';
import { createScratchDatabase, type ScratchDatabase } from '@selfie-lora/testkit/postgres';
import { configure } from '../../src/start/configure.js';
import { startService, type RunningService } from '../../src/start/start-service.js';

/** `npm start`'s web app follows THE credentials decision: demo sign-in only with development credentials. */
describe('the web app as npm start serves it', () => {
  let database: ScratchDatabase;
  let dataDirectory: string;

  beforeAll(async () => {
    database = await createScratchDatabase('start_test');
    dataDirectory = await mkdtemp(join(tmpdir(), 'web-app-start-'));
  });
  afterAll(async () => {
    await database.forceDrop();
    await rm(dataDirectory, { recursive: true, force: true });
  });

  async function started(variables: Record<string, string>): Promise<RunningService> {
    const env = configure({ DATABASE_URL: database.url, PORT: String(await freePort()), ...variables })._unsafeUnwrap();
    const result = await startService(env, { dataDirectory, say: () => undefined });
    if (result.isErr()) throw new Error(result.error.message);
    return result.value;
  }

  it('with development credentials: demo sign-in works, and the page may PUT to the embedded S3', async () => {
    const service = await started({ DEV_CREDENTIALS: 'true' });
    try {
      const config = (await (await fetch(`${service.url}/app-config.json`)).json()) as { demoSignIn: boolean };
      expect(config.demoSignIn).toBe(true);
      const signIn = await fetch(`${service.url}/v1/demo/sign-in`, { method: 'POST' });
      expect(signIn.status).toBe(200);
      const { token } = (await signIn.json()) as { token: string };
      const mine = await fetch(`${service.url}/v1/uploads`, { headers: { authorization: `Bearer ${token}` } });
      expect(mine.status).toBe(200);
      // The embedded S3 listens on loopback: its origin, not the service's, is where presigned PUTs go.
      const page = await fetch(`${service.url}/`);
      const connect = /connect-src 'self' (http:\/\/127\.0\.0\.1:\d+);/.exec(page.headers.get('content-security-policy') ?? '');
      expect(connect?.[1]).toBeDefined();
      expect(connect?.[1]).not.toBe(service.url);
    } finally {
      await service.stop();
    }
  }, 30_000);

  it('with a real AUTH_JWT_SECRET: no demo sign-in at all', async () => {
    const service = await started({ AUTH_JWT_SECRET: 'a-real-secret-configured-by-the-host-0123456789', ADMIN_TOKEN: 'a-long-enough-admin-token-here' });
    try {
      expect(service.devToken).toBeNull();
      const config = (await (await fetch(`${service.url}/app-config.json`)).json()) as { demoSignIn: boolean };
      expect(config.demoSignIn).toBe(false);
      const signIn = await fetch(`${service.url}/v1/demo/sign-in`, { method: 'POST' });
      expect(signIn.status).toBe(404);
      expect(((await signIn.json()) as { code: string }).code).toBe('route.not_found');
    } finally {
      await service.stop();
    }
  }, 30_000);
});
