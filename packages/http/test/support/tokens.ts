import { SignJWT, type JWTPayload } from 'jose';

export const JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789abcdef';

const key = (secret: string) => new TextEncoder().encode(secret);

/** A valid HS256 token for `sub`, expiring in an hour unless told otherwise (`expiresAt: null`: no `exp` at all). */
export async function tokenFor(
  sub: string | undefined,
  options: { secret?: string; alg?: 'HS256' | 'HS384' | 'HS512'; expiresAt?: number | null; claims?: JWTPayload } = {},
): Promise<string> {
  const jwt = new SignJWT({ ...options.claims }).setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' }).setIssuedAt(options.claims?.iat);
  if (sub !== undefined) jwt.setSubject(sub);
  if (options.expiresAt !== null) jwt.setExpirationTime(options.expiresAt ?? Math.floor(Date.now() / 1000) + 3600);
  return jwt.sign(key(options.secret ?? JWT_SECRET));
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsecured JWT (`alg: none`, empty signature) claiming to be `sub`. */
export function unsecuredTokenFor(sub: string): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub, exp: Math.floor(Date.now() / 1000) + 3600 })}.`;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
