import { describe, expect, it } from 'vitest';
import { harness } from './support/harness.js';

describe('protective headers', () => {
  it('authenticated answers are never sniffed nor stored, refusals included', async () => {
    const h = await harness();
    for (const response of [
      await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: h.alice }),
      await h.app.inject({ method: 'GET', url: '/v1/trainings/nope', headers: h.alice }),
      await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: { authorization: 'Bearer forged' } }),
    ]) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['cache-control']).toBe('no-store');
    }
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('CORS', () => {
  const preflight = (origin: string) => ({
    method: 'OPTIONS' as const,
    url: '/v1/uploads',
    headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  });

  it('by default allows no other origin: no Access-Control-Allow-Origin, even on a preflight', async () => {
    const h = await harness();
    const simple = await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: { ...h.alice, origin: 'https://evil.example' } });
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    expect((await h.app.inject(preflight('https://evil.example'))).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows exactly the configured origins, with the bearer header, and lets them read Retry-After', async () => {
    const h = await harness({ app: { corsAllowedOrigins: ['https://app.example'] } });
    const allowed = await h.app.inject(preflight('https://app.example'));
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(String(allowed.headers['access-control-allow-headers'])).toMatch(/authorization/i);
    const simple = await h.app.inject({ method: 'GET', url: '/v1/uploads', headers: { ...h.alice, origin: 'https://app.example' } });
    expect(simple.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(String(simple.headers['access-control-expose-headers'])).toMatch(/retry-after/i);
    expect((await h.app.inject(preflight('https://evil.example'))).headers['access-control-allow-origin']).toBeUndefined();
  });
});
