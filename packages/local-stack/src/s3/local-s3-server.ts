import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { registerWithS3rver, requireCredentials, type S3Credentials } from './s3rver-credentials.js';
import { corsConfiguration } from './s3rver-cors.js';
import { fixS3rverListObjectsV2 } from './s3rver-list-v2.js';

export interface LocalS3Options {
  /** Where objects live on disk. The caller owns it (creates and removes it). */
  readonly directory: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Buckets created before the first request. */
  readonly buckets?: readonly string[];
  /** The only credentials it accepts (default: made up for this server). */
  readonly credentials?: S3Credentials;
  /** Origins whose pages may PUT to presigned URLs of these buckets (CORS); none by default. */
  readonly corsOrigins?: readonly string[];
}

export interface LocalS3 {
  readonly endpoint: string;
  readonly region: 'us-east-1';
  readonly credentials: S3Credentials;
  /** s3rver answers path-style requests on an IP address. */
  readonly forcePathStyle: true;
  /** Stops listening and drops open connections; calling it again is harmless. */
  close(): Promise<void>;
}

/**
 * An in-process S3-compatible server (s3rver) on 127.0.0.1, for tests and the local default of
 * `npm start`. Silent. Use checksum mode `when_required` against it (see docs/stack-notes.md). Requests
 * without its credentials are refused (see s3rver-credentials.ts). It does not check presigned
 * expiry. Its ListObjectsV2 is patched to page correctly (see s3rver-list-v2.ts). Browser
 * preflights are judged by s3rver against the buckets' CORS rules (`corsOrigins`).
 */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  fixS3rverListObjectsV2();
  const credentials = options.credentials ?? { accessKeyId: `LOCAL${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(24).toString('base64url') };
  const s3rver = new S3rver({
    directory: options.directory,
    silent: true,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name, configs: options.corsOrigins?.length ? [corsConfiguration(options.corsOrigins)] : [] })),
  });
  await s3rver.configureBuckets();
  // Our own HTTP server (s3rver's request handler on it), so close() can end keep-alive sockets.
  const server: Server = createServer(requireCredentials(credentials, s3rver.callback()));
  const revokeKey = registerWithS3rver(credentials);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | null = null;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials,
    forcePathStyle: true,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        revokeKey();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      })),
  };
}
