import { createHash, createHmac, timingSafeEqual, type BinaryLike, type Hash, type Hmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { S3Credentials } from './s3rver-credentials.js';

// Checks an S3 request's AWS Signature V4 (header or presigned URL) by signing the same request
// again with the AWS SDK's own signer and comparing: s3rver 3.7.1 checks none.

function bytes(data: string | ArrayBuffer | ArrayBufferView): BinaryLike {
  if (typeof data === 'string') return data;
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** node:crypto as the signer's hash (SHA-256, or HMAC-SHA256 with a key). */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    throw new Error('not reusable');
  }
}

const PRESIGN_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];
const PAYLOAD_HEADER = 'x-amz-content-sha256';

/** `20261202T173000Z` */
function parseAmzDate(text: string | null | undefined): Date | null {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? '');
  if (match === null) return null;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export type SignatureVerdict = { readonly ok: true } | { readonly ok: false; readonly code: 'SignatureDoesNotMatch' | 'AccessDenied'; readonly message: string };

const mismatch: SignatureVerdict = { ok: false, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided.' };

/** Verifies the request's signature against `credentials`; `now` for presigned expiry. */
export async function verifySignature(request: IncomingMessage, credentials: S3Credentials, now: Date = new Date()): Promise<SignatureVerdict> {
  const [path = '/', rawQuery = ''] = (request.url ?? '/').split('?', 2) as [string, string?];
  const params = new URLSearchParams(rawQuery);
  const authorization = request.headers.authorization;
  const presigned = authorization === undefined;

  const credential = presigned ? params.get('X-Amz-Credential') : /Credential=([^,\s]+)/.exec(authorization)?.[1];
  const signedHeaderList = presigned ? params.get('X-Amz-SignedHeaders') : /SignedHeaders=([^,\s]+)/.exec(authorization)?.[1];
  const provided = presigned ? params.get('X-Amz-Signature') : /Signature=([0-9a-f]+)/.exec(authorization)?.[1];
  const date = parseAmzDate(presigned ? params.get('X-Amz-Date') : String(request.headers['x-amz-date'] ?? ''));
  const [, , region, service] = (credential ?? '').split('/');
  if (!credential || !signedHeaderList || !provided || date === null || !region || !service) return mismatch;

  const signedHeaders = signedHeaderList.split(';');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return mismatch;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    if (presigned && PRESIGN_PARAMS.includes(key)) continue;
    const before = query[key];
    query[key] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  const hostHeader = headers['host'] ?? '';
  const toSign = { method: request.method ?? 'GET', protocol: 'http:', hostname: hostHeader.replace(/:\d+$/, ''), path, query, headers };
  const signer = new SignatureV4({ credentials, region, service, sha256: Sha256, uriEscapePath: false, applyChecksum: false });

  if (!presigned) {
    const signed = await signer.sign(toSign, { signingDate: date, signableHeaders: new Set(signedHeaders) });
    const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers['authorization']))?.[1] ?? '';
    return same(expected, provided) ? { ok: true } : mismatch;
  }

  const expires = Number(params.get('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires <= 0) return mismatch;
  // The presigner signs an unsigned payload, named by a header it hoists into the query as it is
  // spelled (`X-Amz-Content-Sha256`): put it back as that header, and the signer hoists it again.
  const payloadParam = Object.keys(query).find((key) => key.toLowerCase() === PAYLOAD_HEADER) ?? PAYLOAD_HEADER;
  const payload = params.get(payloadParam) ?? 'UNSIGNED-PAYLOAD';
  delete query[payloadParam];
  const signed = await signer.presign({ ...toSign, headers: { ...headers, [payloadParam]: payload } }, { signingDate: date, expiresIn: expires, signableHeaders: new Set(signedHeaders) });
  if (!same(String(signed.query?.['X-Amz-Signature'] ?? ''), provided)) return mismatch;
  if (now.getTime() > date.getTime() + expires * 1000) return { ok: false, code: 'AccessDenied', message: 'Request has expired' };
  return { ok: true };
}
