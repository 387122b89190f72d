import { describe, expect, it } from 'vitest';
import { coreConfigFrom } from '../../src/composition/core-config.js';
import { describeConfigErrors, parseEnv, UPLOAD_LIMITS } from '../../src/composition/service-config.js';

const replicate = {
  REPLICATE_API_TOKEN: 'r8_token',
  REPLICATE_TRAINER: 'ostris/flux-dev-lora-trainer:abc123',
  REPLICATE_DESTINATION_OWNER: 'acme',
  REPLICATE_WEBHOOK_SECRET: 'whsec_c2VjcmV0',
  PUBLIC_BASE_URL: 'https://selfies.example.com',
};

describe('service configuration from the environment', () => {
  it('accepts an empty environment: embedded defaults, documented numbers', () => {
    const env = parseEnv({})._unsafeUnwrap();
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.TRAINING_MIN_PHOTOS).toBe(10);
    expect(env.TRAINING_POLL_INTERVAL_MS).toBe(15_000);
    expect(env.TRAINING_SWEEP).toBe('on');
    expect(env.TRAINING_OWN_POLL_INTERVAL_MS).toBe(300_000);
    expect(env.PORT).toBe(3000);
  });

  it('treats blank values as unset', () => {
    expect(parseEnv({ DATABASE_URL: '  ', PORT: '' })._unsafeUnwrap().DATABASE_URL).toBeUndefined();
  });

  it('parses a full real configuration', () => {
    const env = parseEnv({
      DATABASE_URL: 'postgres://u@db/app',
      S3_BUCKET: 'selfies',
      S3_ACCESS_KEY_ID: 'a',
      S3_SECRET_ACCESS_KEY: 'b',
      S3_FORCE_PATH_STYLE: 'true',
      S3_CHECKSUM_MODE: 'when_supported',
      TRAINING_MIN_PHOTOS: '12',
      PORT: '8080',
      ...replicate,
    })._unsafeUnwrap();
    expect(env.S3_FORCE_PATH_STYLE).toBe(true);
    expect(env.S3_CHECKSUM_MODE).toBe('when_supported');
    expect(env.TRAINING_MIN_PHOTOS).toBe(12);
    expect(env.PORT).toBe(8080);
  });

  it.each([
    ['DATABASE_URL', 'mysql://x'],
    ['S3_CHECKSUM_MODE', 'always'],
    ['S3_FORCE_PATH_STYLE', 'yes'],
    ['REPLICATE_TRAINER', 'no-version'],
    ['REPLICATE_DESTINATION_STRATEGY', 'per-user'],
    ['REPLICATE_WEBHOOK_SECRET', 'plain'],
    ['AUTH_JWT_SECRET', 'short'],
    ['TRAINING_MIN_PHOTOS', '0'],
    ['TRAINING_POLL_INTERVAL_MS', '1.5'],
    ['TRAINING_SWEEP', 'yes'],
    ['TRAINING_OWN_POLL_INTERVAL_MS', '0'],
    ['PORT', '70000'],
    ['PUBLIC_BASE_URL', 'not a url'],
  ])('refuses a bad %s, naming it', (variable, value) => {
    const errors = parseEnv({ [variable]: value })._unsafeUnwrapErr();
    expect(errors.map((e) => e.variable)).toContain(variable);
    expect(describeConfigErrors(errors)).toContain(variable);
  });

  it('refuses a half-configured trainer, naming each missing variable', () => {
    const errors = parseEnv({ REPLICATE_API_TOKEN: 'r8_token' })._unsafeUnwrapErr();
    expect(errors.map((e) => e.variable).sort()).toEqual(
      ['PUBLIC_BASE_URL', 'REPLICATE_DESTINATION_OWNER', 'REPLICATE_TRAINER', 'REPLICATE_WEBHOOK_SECRET'].sort(),
    );
  });
  it.each([
    [{ S3_ENDPOINT: 'http://127.0.0.1:9000' }],
    [{ S3_REGION: 'eu-west-1' }],
    [{ S3_ENDPOINT: 'http://127.0.0.1:9000', S3_REGION: 'eu-west-1', S3_FORCE_PATH_STYLE: 'true' }],
    [{ S3_CHECKSUM_MODE: 'when_supported' }],
    [{ S3_ACCESS_KEY_ID: 'a', S3_SECRET_ACCESS_KEY: 'b' }],
  ])('refuses S3 settings without S3_BUCKET (%o): an embedded store would ignore them', (partial) => {
    const errors = parseEnv(partial)._unsafeUnwrapErr();
    const missing = ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'].filter((name) => !(name in partial));
    expect(errors.map((e) => e.variable).sort()).toEqual(missing.sort());
    const text = describeConfigErrors(errors);
    for (const name of Object.keys(partial)) expect(text).toContain(name);
    expect(text).toContain('S3_BUCKET is required when');
  });

  it.each([
    [{ REPLICATE_BASE_URL: 'http://127.0.0.1:8080' }],
    [{ REPLICATE_DESTINATION_STRATEGY: 'shared' }],
    [{ REPLICATE_DESTINATION_STRATEGY: 'shared', REPLICATE_SHARED_MODEL: 'selfies' }],
    [{ REPLICATE_TRAINER: 'ostris/flux-dev-lora-trainer:abc123' }],
    [{ REPLICATE_WEBHOOK_SECRET: 'whsec_c2VjcmV0' }],
    [{ PUBLIC_BASE_URL: 'https://selfies.example.com' }],
  ])('refuses Replicate settings without REPLICATE_API_TOKEN (%o): the simulator would replace them', (partial) => {
    const errors = parseEnv(partial)._unsafeUnwrapErr();
    expect(errors.map((e) => e.variable)).toContain('REPLICATE_API_TOKEN');
    const text = describeConfigErrors(errors);
    for (const name of Object.keys(partial)) expect(text).toContain(name);
  });

  it('accepts the optional settings with their service, and refuses a shared model without the shared strategy', () => {
    const s3 = { S3_BUCKET: 'selfies', S3_ACCESS_KEY_ID: 'a', S3_SECRET_ACCESS_KEY: 'b' };
    const env = parseEnv({
      ...s3,
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_REGION: 'eu-west-1',
      ...replicate,
      REPLICATE_BASE_URL: 'http://127.0.0.1:8080',
      REPLICATE_DESTINATION_STRATEGY: 'shared',
      REPLICATE_SHARED_MODEL: 'selfies',
    })._unsafeUnwrap();
    expect(env.S3_ENDPOINT).toBe('http://127.0.0.1:9000');
    expect(env.REPLICATE_SHARED_MODEL).toBe('selfies');

    const unshared = parseEnv({ ...s3, ...replicate, REPLICATE_SHARED_MODEL: 'selfies' })._unsafeUnwrapErr();
    expect(unshared).toEqual([{ variable: 'REPLICATE_SHARED_MODEL', message: expect.stringContaining('REPLICATE_DESTINATION_STRATEGY is shared') as string }]);
  });

  it('reads the upload policy: documented defaults, and values within bounds', () => {
    const defaults = parseEnv({})._unsafeUnwrap();
    expect([defaults.UPLOAD_MAX_BYTES, defaults.UPLOAD_MIN_WIDTH, defaults.UPLOAD_MIN_HEIGHT]).toEqual([20 * 1024 * 1024, 256, 256]);
    const set = parseEnv({ UPLOAD_MAX_BYTES: '5000000', UPLOAD_MIN_WIDTH: '512', UPLOAD_MIN_HEIGHT: '768' })._unsafeUnwrap();
    expect([set.UPLOAD_MAX_BYTES, set.UPLOAD_MIN_WIDTH, set.UPLOAD_MIN_HEIGHT]).toEqual([5_000_000, 512, 768]);
    const edges = parseEnv({ UPLOAD_MAX_BYTES: String(UPLOAD_LIMITS.maxBytes.max), UPLOAD_MIN_WIDTH: '1', UPLOAD_MIN_HEIGHT: String(UPLOAD_LIMITS.minSide.max) });
    expect(edges.isOk()).toBe(true);
  });

  it('judges photos after the answer unless PHOTO_CHECKS_AFTER_ANSWER is off, and says what else it takes', () => {
    expect(parseEnv({})._unsafeUnwrap().PHOTO_CHECKS_AFTER_ANSWER).toBe('on');
    expect(parseEnv({ PHOTO_CHECKS_AFTER_ANSWER: ' ' })._unsafeUnwrap().PHOTO_CHECKS_AFTER_ANSWER).toBe('on');
    expect(parseEnv({ PHOTO_CHECKS_AFTER_ANSWER: 'off' })._unsafeUnwrap().PHOTO_CHECKS_AFTER_ANSWER).toBe('off');
    expect(coreConfigFrom(parseEnv({})._unsafeUnwrap(), 'acme').checkPhotosAfterAnswer).toBe(true);
    expect(coreConfigFrom(parseEnv({ PHOTO_CHECKS_AFTER_ANSWER: 'off' })._unsafeUnwrap(), 'acme').checkPhotosAfterAnswer).toBe(false);
    expect(describeConfigErrors(parseEnv({ PHOTO_CHECKS_AFTER_ANSWER: 'later' })._unsafeUnwrapErr())).toMatch(/PHOTO_CHECKS_AFTER_ANSWER.*must be on or off/);
  });

  it('keeps photo retention off unless PHOTO_RETENTION_DAYS_AFTER_TRAINING is set', () => {
    expect(parseEnv({})._unsafeUnwrap().PHOTO_RETENTION_DAYS_AFTER_TRAINING).toBeUndefined();
    expect(parseEnv({ PHOTO_RETENTION_DAYS_AFTER_TRAINING: ' ' })._unsafeUnwrap().PHOTO_RETENTION_DAYS_AFTER_TRAINING).toBeUndefined();
    expect(parseEnv({ PHOTO_RETENTION_DAYS_AFTER_TRAINING: '30' })._unsafeUnwrap().PHOTO_RETENTION_DAYS_AFTER_TRAINING).toBe(30);
  });

  it('reads the image work limits (issue 15.1): 40 MP, 2 at once, 16 waiting by default', () => {
    const defaults = parseEnv({})._unsafeUnwrap();
    expect([defaults.IMAGE_MAX_PIXELS, defaults.IMAGE_CONCURRENCY, defaults.IMAGE_QUEUE_MAX]).toEqual([40_000_000, 2, 16]);
    const set = parseEnv({ IMAGE_MAX_PIXELS: '12000000', IMAGE_CONCURRENCY: '1', IMAGE_QUEUE_MAX: '4' })._unsafeUnwrap();
    expect([set.IMAGE_MAX_PIXELS, set.IMAGE_CONCURRENCY, set.IMAGE_QUEUE_MAX]).toEqual([12_000_000, 1, 4]);
  });

  it.each([
    ['IMAGE_MAX_PIXELS', '1000', 'must be at least 65536'],
    ['IMAGE_CONCURRENCY', '0', 'must be a positive whole number'],
    ['IMAGE_QUEUE_MAX', '5000', 'must be at most 1024'],
    ['UPLOAD_MAX_BYTES', '0', 'must be a positive whole number'],
    ['UPLOAD_MAX_BYTES', '-5', 'must be a positive whole number'],
    ['UPLOAD_MAX_BYTES', '20MiB', 'must be a positive whole number'],
    ['UPLOAD_MAX_BYTES', '1023', 'must be at least 1024'],
    ['UPLOAD_MAX_BYTES', String(256 * 1024 * 1024 + 1), 'must be at most 268435456'],
    ['UPLOAD_MAX_BYTES', '1e12', 'must be at most'],
    ['UPLOAD_MIN_WIDTH', '0', 'must be a positive whole number'],
    ['UPLOAD_MIN_WIDTH', '8193', 'must be at most 8192'],
    ['UPLOAD_MIN_HEIGHT', '0', 'must be a positive whole number'],
    ['UPLOAD_MIN_HEIGHT', '12.5', 'must be a positive whole number'],
    ['UPLOAD_MIN_HEIGHT', '100000', 'must be at most 8192'],
    ['PHOTO_RETENTION_DAYS_AFTER_TRAINING', '0', 'must be a whole number of days from 1 to 99999'],
    ['PHOTO_RETENTION_DAYS_AFTER_TRAINING', '-3', 'must be a whole number of days'],
    ['PHOTO_RETENTION_DAYS_AFTER_TRAINING', '1.5', 'must be a whole number of days'],
    ['PHOTO_RETENTION_DAYS_AFTER_TRAINING', '30d', 'must be a whole number of days'],
    ['PHOTO_RETENTION_DAYS_AFTER_TRAINING', '100000', 'must be a whole number of days'],
  ])('refuses %s=%s, naming it', (variable, value, message) => {
    const errors = parseEnv({ [variable]: value })._unsafeUnwrapErr();
    expect(errors).toEqual([{ variable, message: expect.stringContaining(message) as string }]);
    expect(describeConfigErrors(errors)).toContain(`${variable} ${message}`);
  });
});
