import { describe, expect, it } from 'vitest';
import { coreConfigFrom, parseEnv, webAppSettingsFrom } from '@selfie-lora/adapters';
import { createMemoryCore } from '@selfie-lora/adapters/memory';
import { buildHttpApp } from '../../src/index.js';
import type { AppConfigJson } from '../../src/routes/app-config.js';
import { DEFAULT_PRESIGNED_THRESHOLD_BYTES } from '../../src/routes/web-app.js';
import { ADMIN_TOKEN, JWT_SECRET } from '../support/tokens.js';

/** The shell as `npm start` composes it from these variables: the core's config and the web app's settings. */
async function appConfigFor(variables: Record<string, string>, demoSignIn = false): Promise<AppConfigJson> {
  const env = parseEnv(variables)._unsafeUnwrap();
  const core = createMemoryCore({ config: coreConfigFrom(env, 'acct') });
  const app = buildHttpApp({ deps: core.deps, auth: { jwtSecret: JWT_SECRET }, adminToken: ADMIN_TOKEN, webApp: { ...webAppSettingsFrom(env), demoSignIn } });
  const response = await app.inject({ method: 'GET', url: '/app-config.json' });
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  return response.json<AppConfigJson>();
}

describe('GET /app-config.json', () => {
  it('tells the page the limits the server judges with, defaults included, without a token', async () => {
    expect(await appConfigFor({})).toEqual({
      demoSignIn: false,
      minPhotos: 10,
      maxPhotos: 50,
      maxUploadBytes: 20 * 1024 * 1024,
      presignedThresholdBytes: DEFAULT_PRESIGNED_THRESHOLD_BYTES,
      minWidth: 256,
      minHeight: 256,
      maxPixels: 40_000_000,
      acceptedTypes: ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif'],
    });
  });

  it('follows each configured variable', async () => {
    const config = await appConfigFor(
      { TRAINING_MIN_PHOTOS: '4', TRAINING_MAX_PHOTOS: '12', UPLOAD_MAX_BYTES: String(5 * 1024 * 1024), UPLOAD_MIN_WIDTH: '512', UPLOAD_MIN_HEIGHT: '384', IMAGE_MAX_PIXELS: '1000000' },
      true,
    );
    expect(config).toMatchObject({ demoSignIn: true, minPhotos: 4, maxPhotos: 12, maxUploadBytes: 5 * 1024 * 1024, minWidth: 512, minHeight: 384, maxPixels: 1_000_000 });
  });
});

describe('webAppSettingsFrom', () => {
  const s3Keys = { S3_ACCESS_KEY_ID: 'key', S3_SECRET_ACCESS_KEY: 'secret' };
  const settings = (variables: Record<string, string>) => webAppSettingsFrom(parseEnv({ ...s3Keys, ...variables })._unsafeUnwrap());

  it('lets the page PUT to the origin presigned URLs are signed for', () => {
    expect(settings({ S3_BUCKET: 'photos', S3_ENDPOINT: 'http://127.0.0.1:9000/ignored/path', S3_FORCE_PATH_STYLE: 'true' }).connectSources).toEqual(['http://127.0.0.1:9000']);
    expect(settings({ S3_BUCKET: 'photos', S3_REGION: 'eu-west-1' }).connectSources).toEqual(['https://photos.s3.eu-west-1.amazonaws.com']);
    expect(settings({ S3_BUCKET: 'photos', S3_ENDPOINT: 'https://storage.example:8443' }).connectSources).toEqual(['https://photos.storage.example:8443']);
    expect(webAppSettingsFrom(parseEnv({})._unsafeUnwrap()).connectSources).toEqual([]);
  });
});
