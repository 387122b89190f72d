import { stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { problemReply, shellProblem } from '../problem.js';
import type { App } from './context.js';

/** `packages/web/dist` of this checkout: this file is `packages/http/{src,dist}/routes/web-app.*`. */
export const DEFAULT_WEB_DIST_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** Files above this size go through the presigned flow (docs/decisions.md). */
export const DEFAULT_PRESIGNED_THRESHOLD_BYTES = 8 * 1024 * 1024;

export interface WebAppOptions {
  /** The built client (`npm run build:web`); default `packages/web/dist` of this checkout. */
  readonly distDir?: string;
  /** Offer `POST /v1/demo/sign-in`: only with development credentials (no real AUTH_JWT_SECRET). */
  readonly demoSignIn?: boolean;
  /** Origins the page may call besides its own: the S3 endpoint presigned PUTs go to. */
  readonly connectSources?: readonly string[];
  /** The pixel limit the image adapters decode with (IMAGE_MAX_PIXELS), told to the client. */
  readonly maxPixels: number;
  /** Photos larger than this are sent through the presigned flow (default 8 MiB). */
  readonly presignedThresholdBytes?: number;
}

/** Hashed file names never change content: cached for a year. Everything else is revalidated. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The page's policy: only our own scripts and styles (everything is bundled, no inline code),
 * photos previewed from blobs, fetches to us and to the storage endpoint presigned PUTs target.
 */
export function contentSecurityPolicy(connectSources: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    `connect-src ${["'self'", ...connectSources].join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (facts) => facts.isFile(),
    () => false,
  );
}

/**
 * The browser client, served from its build output: `/` is its `index.html` (or 503
 * `web.not_built` when there is none yet), every other file by its path. A path that names no
 * file falls through to the shell's 404 problem, so the API's answers are unchanged.
 */
export function webAppRoutes(app: App, options: WebAppOptions): void {
  const distDir = resolve(options.distDir ?? DEFAULT_WEB_DIST_DIR);
  const assetsDir = join(distDir, 'assets') + sep;
  const pageHeaders = {
    'content-security-policy': contentSecurityPolicy(options.connectSources ?? []),
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  };

  void app.register((scope: App, _options, done) => {
    scope.addHook('onRequest', async (_request, reply) => {
      reply.headers(pageHeaders);
    });
    void scope.register(fastifyStatic, {
      root: distDir,
      prefix: '/',
      index: false,
      cacheControl: false,
      // Checked per request: a client built after the service started is served without a restart.
      wildcard: true,
      setHeaders: (reply, path) => {
        reply.header('cache-control', path.startsWith(assetsDir) ? IMMUTABLE : 'no-cache');
      },
    });
    scope.get('/', { schema: { hide: true } }, async (_request, reply) => {
      if (!(await isFile(join(distDir, 'index.html')))) return problemReply(reply.header('cache-control', 'no-store'), shellProblem('web.not_built'));
      return reply.sendFile('index.html');
    });
    done();
  });
}
