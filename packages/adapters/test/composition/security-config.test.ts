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
  });

  it('reads set values', () => {
    const env = parseEnv({ AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'selfie-lora', AUTH_JWT_MAX_LIFETIME_SECONDS: '3600' })._unsafeUnwrap();
    expect([env.AUTH_JWT_ISSUER, env.AUTH_JWT_AUDIENCE, env.AUTH_JWT_MAX_LIFETIME_SECONDS]).toEqual(['https://id.example', 'selfie-lora', 3600]);
  });

  it.each([
    ['AUTH_JWT_MAX_LIFETIME_SECONDS', '10', 'must be at least 60'],
    ['AUTH_JWT_MAX_LIFETIME_SECONDS', String(10 * 365 * 86_400), 'must be at most'],
    ['AUTH_JWT_CLOCK_SKEW_SECONDS', '3600', 'must be at most 300'],
  ])('refuses %s=%s, naming it', (variable, value, message) => {
    expect(parseEnv({ [variable]: value })._unsafeUnwrapErr()).toEqual([{ variable, message: expect.stringContaining(message) as string }]);
  });
});
