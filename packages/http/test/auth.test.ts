import { describe, expect, it } from 'vitest';
import { expectProblem, harness } from './support/harness.js';
import { JWT_SECRET, tokenFor, unsecuredTokenFor } from './support/tokens.js';

const hourAgo = () => Math.floor(Date.now() / 1000) - 3600;

describe('bearer JWT authentication', () => {
  it('accepts an HS256 token signed with the secret whose sub is an owner id', async () => {
    const h = await harness();
    const response = await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: { authorization: `Bearer ${await tokenFor('alice')}` } });
    expect(response.statusCode).toBe(200);
  });

  it('refuses a request without a bearer token: 401 auth.missing_token with a challenge', async () => {
    const h = await harness();
    for (const headers of [{}, { authorization: 'Basic YWxpY2U6c2VjcmV0' }, { authorization: 'Bearer' }, { authorization: '' }]) {
      const response = await h.app.inject({ method: 'GET', url: '/v1/uploads', headers });
      expectProblem(response, 401, 'auth.missing_token');
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm=/);
    }
  });

  const attacks: { name: string; token: () => Promise<string> | string }[] = [
    { name: 'alg none', token: () => unsecuredTokenFor('alice') },
    { name: 'HS512 with the right secret', token: () => tokenFor('alice', { alg: 'HS512' }) },
    { name: 'HS384 with the right secret', token: () => tokenFor('alice', { alg: 'HS384' }) },
    { name: 'signed with another secret', token: () => tokenFor('alice', { secret: `${JWT_SECRET}-not` }) },
    { name: 'expired', token: () => tokenFor('alice', { expiresAt: hourAgo() }) },
    { name: 'without sub', token: () => tokenFor(undefined) },
    { name: 'without exp (it would never expire)', token: () => tokenFor('alice', { expiresAt: null }) },
    { name: 'with an exp that is not a number', token: () => tokenFor('alice', { expiresAt: null, claims: { exp: 'never' as unknown as number } }) },
    { name: 'with a sub that is not an owner id', token: () => tokenFor('alice smith/../bob') },
    { name: 'garbage', token: () => 'not.a.jwt' },
    { name: 'a tampered payload', token: async () => {
      const [header, , signature] = (await tokenFor('alice')).split('.');
      return `${header}.${Buffer.from(JSON.stringify({ sub: 'bob', exp: 4102444800 })).toString('base64url')}.${signature}`;
    } },
  ];

  for (const attack of attacks) {
    it(`refuses a token ${attack.name}: 401 auth.invalid_token`, async () => {
      const h = await harness();
      const response = await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: { authorization: `Bearer ${await attack.token()}` } });
      expectProblem(response, 401, 'auth.invalid_token');
      expect(response.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    });
  }

  it('guards every owner route', async () => {
    const h = await harness();
    const routes = [
      ['POST', '/v1/uploads'],
      ['GET', '/v1/uploads'],
      ['DELETE', '/v1/uploads/id-1'],
      ['POST', '/v1/trainings'],
      ['GET', '/v1/trainings'],
      ['GET', '/v1/trainings/id-1'],
      ['GET', '/v1/trainings/id-1/events'],
      ['POST', '/v1/trainings/id-1/cancel'],
      ['POST', '/v1/trainings/id-1/restart'],
      ['GET', '/v1/models'],
    ] as const;
    for (const [method, url] of routes) {
      const response = await h.app.inject({ method, url, headers: { authorization: `Bearer ${unsecuredTokenFor('alice')}` } });
      expectProblem(response, 401, 'auth.invalid_token');
    }
  });
});

describe('token binding (issuer, audience, lifetime, clock skew)', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const bound = () => harness({ app: { auth: { jwtSecret: JWT_SECRET, issuer: 'https://id.example', audience: 'selfie-lora' } } });
  const get = async (h: Awaited<ReturnType<typeof harness>>, token: string) =>
    h.app.inject({ method: 'GET', url: '/v1/uploads', headers: { authorization: `Bearer ${token}` } });

  it('accepts a token with the configured iss and aud', async () => {
    const h = await bound();
    const token = await tokenFor('alice', { claims: { iss: 'https://id.example', aud: ['other', 'selfie-lora'] } });
    expect((await get(h, token)).statusCode).toBe(200);
  });

  const misbound: { name: string; claims: Record<string, unknown> }[] = [
    { name: 'a foreign aud', claims: { iss: 'https://id.example', aud: 'another-service' } },
    { name: 'no aud', claims: { iss: 'https://id.example' } },
    { name: 'a foreign iss', claims: { iss: 'https://evil.example', aud: 'selfie-lora' } },
    { name: 'no iss', claims: { aud: 'selfie-lora' } },
  ];
  for (const attack of misbound) {
    it(`refuses a token with ${attack.name} when issuer and audience are configured: 401`, async () => {
      const h = await bound();
      expectProblem(await get(h, await tokenFor('alice', { claims: attack.claims })), 401, 'auth.invalid_token');
    });
  }

  it('refuses a token whose exp is 100 years away (past the default one-day cap)', async () => {
    const h = await harness();
    expectProblem(await get(h, await tokenFor('alice', { expiresAt: now() + 100 * 365 * 86_400 })), 401, 'auth.invalid_token');
  });

  it('refuses a token issued long ago even if its exp is near (the cap counts from iat)', async () => {
    const h = await harness({ app: { auth: { jwtSecret: JWT_SECRET, maxLifetimeSeconds: 3600 } } });
    const old = await tokenFor('alice', { claims: { iat: now() - 7200 }, expiresAt: now() + 600 });
    expectProblem(await get(h, old), 401, 'auth.invalid_token');
    const fresh = await tokenFor('alice', { expiresAt: now() + 3000 });
    expect((await get(h, fresh)).statusCode).toBe(200);
  });

  it('allows 30 s of clock skew on exp by default, not more', async () => {
    const h = await harness();
    expect((await get(h, await tokenFor('alice', { expiresAt: now() - 10 }))).statusCode).toBe(200);
    expectProblem(await get(h, await tokenFor('alice', { expiresAt: now() - 120 })), 401, 'auth.invalid_token');
  });
});
