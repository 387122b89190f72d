import { describe, expect, it } from 'vitest';
import { configure } from '../../src/start/configure.js';
import { withStandIns, type LocalStack } from '../../src/start/embedded-stand-ins.js';

const options = { dataDirectory: '/nonexistent', serviceUrl: 'http://127.0.0.1:1', say: () => undefined };
const REAL = {
  DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
  S3_BUCKET: 'photos',
  S3_ACCESS_KEY_ID: 'a',
  S3_SECRET_ACCESS_KEY: 'b',
  REPLICATE_API_TOKEN: 'r8_x',
  REPLICATE_TRAINER: 'ostris/flux-dev-lora-trainer:abc123',
  REPLICATE_DESTINATION_OWNER: 'acme',
  REPLICATE_WEBHOOK_SECRET: 'whsec_c2VjcmV0',
  PUBLIC_BASE_URL: 'https://selfies.example.com',
};

/** The dev package as a production install has it: not at all (a real failed import). */
const absent = (): Promise<LocalStack> => import(/* @vite-ignore */ ['@selfie-lora', 'not-installed-local-stack'].join('/')) as Promise<LocalStack>;

describe('npm start loads the dev stand-ins only when a service is unconfigured', () => {
  it('with every service configured it never loads them', async () => {
    const env = configure(REAL)._unsafeUnwrap();
    const resolved = (await withStandIns(env, options, () => Promise.reject(new Error('must not load'))))._unsafeUnwrap();
    expect(resolved.env).toBe(env);
    expect(resolved.embedded).toEqual([]);
  });

  it('on a production install (no dev stand-ins) says in one line what to configure', async () => {
    const env = configure({ ...REAL, DATABASE_URL: undefined, S3_BUCKET: undefined, S3_ACCESS_KEY_ID: undefined, S3_SECRET_ACCESS_KEY: undefined })._unsafeUnwrap();
    const failure = (await withStandIns(env, options, absent))._unsafeUnwrapErr();
    expect(failure.setting).toBe('DATABASE_URL, S3_BUCKET');
    expect(failure.message).toBe(
      'DATABASE_URL, S3_BUCKET are not set and this install has no dev stand-ins (a production install): configure them (see README "Run the service"), or run `npm ci` for the embedded ones',
    );
  });
});
