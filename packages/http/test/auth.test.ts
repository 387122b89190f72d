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
