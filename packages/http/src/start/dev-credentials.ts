import { SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';

export const DEMO_OWNER = 'demo-owner';

export function generatedSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** An HS256 bearer token for the demo owner, valid for a day: what the README's curl commands use. */
export function devBearerToken(jwtSecret: string, owner = DEMO_OWNER): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(owner)
    .setIssuedAt()
    .setExpirationTime('24h')
    .sign(new TextEncoder().encode(jwtSecret));
}
