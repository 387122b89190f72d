import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { expectProblem, harness, json } from '../support/harness.js';
import { bearer } from '../support/tokens.js';

interface DemoSession {
  token: string;
  ownerId: string;
  expiresAt: string;
}

const webApp = (demoSignIn: boolean) => ({ webApp: { demoSignIn, maxPixels: 40_000_000 } });

describe('POST /v1/demo/sign-in', () => {
  it('mints an hour-long token for demo-owner that the API accepts', async () => {
    const h = await harness({ app: webApp(true) });
    const response = await h.app.inject({ method: 'POST', url: '/v1/demo/sign-in' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const session = json<DemoSession>(response);
    expect(Object.keys(session).sort()).toEqual(['expiresAt', 'ownerId', 'token']);
    expect(session.ownerId).toBe('demo-owner');
    const claims = decodeJwt(session.token);
    expect(claims.sub).toBe('demo-owner');
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(new Date(session.expiresAt).getTime()).toBe(claims.exp! * 1000);
    const uploads = await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: bearer(session.token) });
    expect(uploads.statusCode, uploads.body).toBe(200);
    expect(json(uploads)).toEqual({ uploads: [], pending: [] });
  });

  it('binds the token to the configured issuer and audience, so the auth hook accepts it', async () => {
    const h = await harness({ app: { ...webApp(true), auth: { jwtSecret: 'another-secret-long-enough-0123456789abcdef', issuer: 'https://host.example', audience: 'selfie-lora' } } });
    const session = json<DemoSession>(await h.app.inject({ method: 'POST', url: '/v1/demo/sign-in' }));
    expect(decodeJwt(session.token)).toMatchObject({ iss: 'https://host.example', aud: 'selfie-lora' });
    const uploads = await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: bearer(session.token) });
    expect(uploads.statusCode, uploads.body).toBe(200);
  });

  it('refuses a malformed body with a problem, and takes no other method', async () => {
    const h = await harness({ app: webApp(true) });
    const broken = await h.app.inject({ method: 'POST', url: '/v1/demo/sign-in', headers: { 'content-type': 'application/json' }, payload: '{' });
    expectProblem(broken, 400, 'request.invalid');
    expectProblem(await h.app.inject({ method: 'GET', url: '/v1/demo/sign-in' }), 404, 'route.not_found');
    expectProblem(await h.app.inject({ method: 'POST', url: '/app-config.json' }), 404, 'route.not_found');
  });

  it('is an unknown address when not enabled, and app-config says so', async () => {
    const h = await harness({ app: webApp(false) });
    expectProblem(await h.app.inject({ method: 'POST', url: '/v1/demo/sign-in' }), 404, 'route.not_found');
    expect(json(await h.app.inject({ method: 'GET', url: '/app-config.json' }))).toMatchObject({ demoSignIn: false });
  });
});
