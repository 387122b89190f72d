import { describe, expect, it } from 'vitest';
import { describeConfigErrors, parseEnv } from '../../src/composition/service-config.js';

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
});
