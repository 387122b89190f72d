import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { isPreflight } from './s3rver-cors.js';
import { verifySignature } from './sigv4-check.js';

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

// s3rver 3.7.1 lets anonymous requests through (no Authorization header, no presigned query),
// accepts any request naming its built-in key `S3RVER` (whose secret everyone knows), and checks
// no V4 signature or presigned expiry. In front of it, this refuses every request that is not
// signed with this server's own credentials (made up per run), as S3 does: any other local
// process could otherwise read, write and list every stored selfie.

/** The access key id a request is signed with (header or presigned URL), or null if unsigned. */
function accessKeyOf(request: IncomingMessage): string | null {
  const header = request.headers.authorization;
  if (header !== undefined) return /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\//.exec(header)?.[1] ?? null;
  const credential = new URL(request.url ?? '/', 'http://local').searchParams.get('X-Amz-Credential');
  return credential?.split('/')[0] ?? null;
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function refuse(response: ServerResponse, code: string, message: string): void {
  response.writeHead(403, { 'content-type': 'application/xml' });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

/** s3rver's handler behind a check that the request is signed with these credentials. */
export function requireCredentials(credentials: S3Credentials, handler: RequestListener): RequestListener {
  return (request, response) => {
    if (isPreflight(request)) return handler(request, response);
    const key = accessKeyOf(request);
    if (key === null) return refuse(response, 'AccessDenied', 'Anonymous requests are refused: sign them with the store\'s credentials.');
    if (!same(key, credentials.accessKeyId)) return refuse(response, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    // The body is not read here: s3rver reads it once the signature (headers only) is judged.
    verifySignature(request, credentials).then(
      (verdict) => (verdict.ok ? handler(request, response) : refuse(response, verdict.code, verdict.message)),
      () => refuse(response, 'SignatureDoesNotMatch', 'The request signature could not be checked.'),
    );
  };
}

interface AccountModule {
  readonly DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void; revokeAccessKey(accessKeyId: string): void };
}

/** Adds the key to s3rver's (process-wide) account registry, which it checks after us; returns its removal. */
export function registerWithS3rver(credentials: S3Credentials): () => void {
  const account = (createRequire(import.meta.url)('s3rver/lib/models/account.js') as AccountModule).DUMMY_ACCOUNT;
  account.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);
  return () => account.revokeAccessKey(credentials.accessKeyId);
}
