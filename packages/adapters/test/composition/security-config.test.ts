import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/composition/service-config.js';

// The security limits (docs/security.md): each has a default so `npm start` needs none, and a
// value out of its bounds stops start-up naming the variable.
describe('security settings from the environment', () => {
  it('has defaults for every limit', () => {
    const env = parseEnv({})._unsafeUnwrap();
    expect(env.AUTH_JWT_ISSUER).toBeUndefined();
    expect(env.AUTH_JWT_AUDIENCE).toBeUndefined();
    expect(env.AUTH_JWT_MAX_LIFETIME_SECONDS).toBe(86_400);
    expect(env.AUTH_JWT_CLOCK_SKEW_SECONDS).toBe(30);
    expect([env.HTTP_REQUEST_TIMEOUT_MS, env.HTTP_HEADERS_TIMEOUT_MS, env.HTTP_IDLE_TIMEOUT_MS, env.HTTP_KEEP_ALIVE_TIMEOUT_MS]).toEqual([
      120_000, 15_000, 60_000, 5_000,
    ]);
    expect([env.QUOTA_TRAININGS_PER_DAY, env.QUOTA_STORED_PHOTOS, env.QUOTA_STORED_BYTES, env.QUOTA_OPEN_UPLOAD_SLOTS]).toEqual([10, 200, 2 * 1024 ** 3, 20]);
    expect(env.CORS_ALLOWED_ORIGINS).toEqual([]);
    expect([env.EVENTS_MAX_STREAMS_PER_OWNER, env.EVENTS_STREAM_LIFETIME_SECONDS]).toEqual([5, 1800]);
    expect([env.RATE_LIMIT_MAX, env.RATE_LIMIT_WINDOW_MS]).toEqual([300, 60_000]);
  });

  it('reads set values', () => {
    const env = parseEnv({ AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'selfie-lora', AUTH_JWT_MAX_LIFETIME_SECONDS: '3600' })._unsafeUnwrap();
    expect([env.AUTH_JWT_ISSUER, env.AUTH_JWT_AUDIENCE, env.AUTH_JWT_MAX_LIFETIME_SECONDS]).toEqual(['https://id.example', 'selfie-lora', 3600]);
  });

  it('reads allowed origins as a list, and refuses anything that is not an origin', () => {
    const env = parseEnv({ CORS_ALLOWED_ORIGINS: 'https://app.example, http://localhost:5173' })._unsafeUnwrap();
    expect(env.CORS_ALLOWED_ORIGINS).toEqual(['https://app.example', 'http://localhost:5173']);
    for (const bad of ['*', 'https://app.example/', 'app.example', 'https://app.example/path']) {
      expect(parseEnv({ CORS_ALLOWED_ORIGINS: bad })._unsafeUnwrapErr()[0]?.variable).toBe('CORS_ALLOWED_ORIGINS');
    }
  });

  it.each([
    ['AUTH_JWT_MAX_LIFETIME_SECONDS', '10', 'must be at least 60'],
    ['AUTH_JWT_MAX_LIFETIME_SECONDS', String(10 * 365 * 86_400), 'must be at most'],
    ['AUTH_JWT_CLOCK_SKEW_SECONDS', '3600', 'must be at most 300'],
    ['HTTP_REQUEST_TIMEOUT_MS', '0', 'must be a positive whole number'],
    ['HTTP_HEADERS_TIMEOUT_MS', '999999', 'must be at most 120000'],
    ['HTTP_IDLE_TIMEOUT_MS', '15000', 'must be at least 20000'],
    ['QUOTA_TRAININGS_PER_DAY', '0', 'must be a positive whole number'],
    ['QUOTA_STORED_BYTES', '1000', 'must be at least 1048576'],
    ['QUOTA_OPEN_UPLOAD_SLOTS', '100000', 'must be at most 10000'],
    ['RATE_LIMIT_WINDOW_MS', '10', 'must be at least 1000'],
    ['EVENTS_MAX_STREAMS_PER_OWNER', '1000', 'must be at most 100'],
  ])('refuses %s=%s, naming it', (variable, value, message) => {
    expect(parseEnv({ [variable]: value })._unsafeUnwrapErr()).toEqual([{ variable, message: expect.stringContaining(message) as string }]);
  });
});
