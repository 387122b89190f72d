import { imageLimitsFrom } from './core-config.js';
import type { Env } from './service-config.js';

/** What the HTTP shell's web app needs from the environment beyond the core's configuration. */
export interface WebAppSettings {
  /** The pixel limit the image adapters decode with (IMAGE_MAX_PIXELS), told to the page. */
  readonly maxPixels: number;
  /** The origin presigned PUT URLs point at (the page's Content-Security-Policy `connect-src`). */
  readonly connectSources: readonly string[];
}

/**
 * Where a browser sends a presigned PUT: the S3 endpoint's origin (path style), the bucket's
 * own host under it (virtual-hosted style), or AWS's regional host when no endpoint is set.
 */
export function s3PublicOrigin(env: Env): string | null {
  if (env.S3_BUCKET === undefined) return null;
  const pathStyle = env.S3_FORCE_PATH_STYLE ?? false;
  const endpoint = new URL(env.S3_ENDPOINT ?? `https://s3.${env.S3_REGION ?? 'us-east-1'}.amazonaws.com`);
  if (!pathStyle) endpoint.hostname = `${env.S3_BUCKET}.${endpoint.hostname}`;
  return endpoint.origin;
}

export function webAppSettingsFrom(env: Env): WebAppSettings {
  const origin = s3PublicOrigin(env);
  return { maxPixels: imageLimitsFrom(env).maxPixels, connectSources: origin === null ? [] : [origin] };
}
