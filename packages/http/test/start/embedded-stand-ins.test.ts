import { describe, expect, it } from 'vitest';
import { configure } from '../../src/start/configure.js';
import { okAsync } from 'neverthrow';
import { isLoopbackHost, withStandIns, type LocalStack } from '../../src/start/embedded-stand-ins.js';
import { REAL_SERVICES } from './support/real-services.js';

const options = { dataDirectory: '/nonexistent', serviceUrl: 'http://127.0.0.1:1', say: () => undefined };

/** The dev package as a production install has it: not at all (a real failed import). */
const absent = (): Promise<LocalStack> => import(/* @vite-ignore */ ['@selfie-lora', 'not-installed-local-stack'].join('/')) as Promise<LocalStack>;

describe('npm start loads the dev stand-ins only when a service is unconfigured', () => {
  it('with every service configured it never loads them', async () => {
    const env = configure(REAL_SERVICES)._unsafeUnwrap();
    const resolved = (await withStandIns(env, options, () => Promise.reject(new Error('must not load'))))._unsafeUnwrap();
    expect(resolved.env).toBe(env);
    expect(resolved.embedded).toEqual([]);
  });

  it('on a production install (no dev stand-ins) says in one line what to configure', async () => {
    const env = configure({ ...REAL_SERVICES, DATABASE_URL: undefined, S3_BUCKET: undefined, S3_ACCESS_KEY_ID: undefined, S3_SECRET_ACCESS_KEY: undefined })._unsafeUnwrap();
    const failure = (await withStandIns(env, options, absent))._unsafeUnwrapErr();
    expect(failure.setting).toBe('DATABASE_URL, S3_BUCKET');
    expect(failure.message).toBe(
      'DATABASE_URL, S3_BUCKET are not set and this install has no dev stand-ins (a production install): configure them (see README "Run the service"), or run `npm ci` for the embedded ones',
    );
  });
});

describe('embedded mode stays on loopback unless told otherwise', () => {
  it.each(['127.0.0.1', '127.8.9.10', '::1', 'localhost', undefined])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  it.each(['0.0.0.0', '::', '192.168.1.4', '10.0.0.1', '127.0.0.1.example.com', 'example.com'])('%s is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  it('refuses a non-loopback HOST with any stand-in, before loading or starting anything', async () => {
    const env = configure({ ...REAL_SERVICES, S3_BUCKET: undefined, S3_ACCESS_KEY_ID: undefined, S3_SECRET_ACCESS_KEY: undefined, HOST: '0.0.0.0' })._unsafeUnwrap();
    const said: string[] = [];
    let loaded = false;
    const failure = (
      await withStandIns(env, { ...options, say: (line) => said.push(line) }, () => {
        loaded = true;
        return Promise.reject(new Error('must not load'));
      })
    )._unsafeUnwrapErr();
    expect(failure.setting).toBe('HOST');
    expect(failure.message).toBe(
      'HOST=0.0.0.0 is not loopback and S3_BUCKET is not set: the embedded dev stand-ins would be reachable from the network. Configure the real services, use a loopback HOST, or set ALLOW_NON_LOOPBACK_HOST=true',
    );
    expect([loaded, said]).toEqual([false, []]);
  });

  it('starts them on a non-loopback HOST with ALLOW_NON_LOOPBACK_HOST=true, and needs no opt-in when every service is real', async () => {
    const started: string[] = [];
    const stack: LocalStack = {
      startEmbeddedServices: (env) => {
        started.push(env.HOST ?? '');
        return okAsync({ env, embedded: ['s3'], stop: () => Promise.resolve() });
      },
    };
    const halfEmbedded = configure({ ...REAL_SERVICES, S3_BUCKET: undefined, S3_ACCESS_KEY_ID: undefined, S3_SECRET_ACCESS_KEY: undefined, HOST: '0.0.0.0', ALLOW_NON_LOOPBACK_HOST: 'true' })._unsafeUnwrap();
    expect((await withStandIns(halfEmbedded, options, () => Promise.resolve(stack)))._unsafeUnwrap().embedded).toEqual(['s3']);
    const real = configure({ ...REAL_SERVICES, HOST: '0.0.0.0' })._unsafeUnwrap();
    expect((await withStandIns(real, options, () => Promise.resolve(stack)))._unsafeUnwrap().embedded).toEqual([]);
    expect(started).toEqual(['0.0.0.0']);
  });
});
