import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, harness, type Harness } from '../support/harness.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body></body></html>';
const SCRIPT = 'console.log("selfie-lora");';

let distDir: string;
let emptyDir: string;

beforeAll(async () => {
  distDir = await mkdtemp(join(tmpdir(), 'web-dist-'));
  await mkdir(join(distDir, 'assets'));
  await writeFile(join(distDir, 'index.html'), INDEX);
  await writeFile(join(distDir, 'assets', 'index-abc123.js'), SCRIPT);
  await writeFile(join(distDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  emptyDir = await mkdtemp(join(tmpdir(), 'web-empty-'));
});

afterAll(async () => {
  await rm(distDir, { recursive: true, force: true });
  await rm(emptyDir, { recursive: true, force: true });
});

const S3_ORIGIN = 'http://127.0.0.1:45999';

function served(dir: string): Promise<Harness> {
  return harness({ app: { webApp: { distDir: dir, maxPixels: 40_000_000, connectSources: [S3_ORIGIN] } } });
}

describe('the web app at /', () => {
  it('serves index.html, revalidated each time, under a strict Content-Security-Policy', async () => {
    const h = await served(distDir);
    const response = await h.app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(INDEX);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    const csp = String(response.headers['content-security-policy']).split('; ');
    expect(csp).toEqual([
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' blob: data:",
      `connect-src 'self' ${S3_ORIGIN}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ]);
  });

  it('serves hashed assets with a long cache, and other files of the build revalidated', async () => {
    const h = await served(distDir);
    const asset = await h.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe(SCRIPT);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const icon = await h.app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('answers 503 web.not_built, saying how to build it, when the build is missing', async () => {
    for (const dir of [emptyDir, join(emptyDir, 'does-not-exist')]) {
      const h = await served(dir);
      const response = await h.app.inject({ method: 'GET', url: '/' });
      expectProblem(response, 503, 'web.not_built');
      expect(response.json<{ detail: string }>().detail).toContain('npm run build:web');
    }
  });

  it('leaves the API as it was: unknown paths, missing assets and traversal are the 404 problem', async () => {
    const h = await served(distDir);
    for (const url of ['/nothing-here', '/assets/missing.js', '/v1/unknown', '/..%2f..%2fetc%2fpasswd', '/assets/../../etc/passwd', '/.env']) {
      expectProblem(await h.app.inject({ method: 'GET', url }), 404, 'route.not_found');
    }
    expectProblem(await h.app.inject({ method: 'POST', url: '/' }), 404, 'route.not_found');
    const health = await h.app.inject({ method: 'GET', url: '/v1/uploads' });
    expectProblem(health, 401, 'auth.missing_token');
  });

  it('is not served at all without the webApp option (the API alone)', async () => {
    const h = await harness();
    expectProblem(await h.app.inject({ method: 'GET', url: '/' }), 404, 'route.not_found');
    expectProblem(await h.app.inject({ method: 'GET', url: '/app-config.json' }), 404, 'route.not_found');
  });
});
