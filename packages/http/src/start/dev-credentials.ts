import { SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import { DEMO_OWNER } from '../routes/demo-sign-in.js';

export { DEMO_OWNER };

export function generatedSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * An HS256 bearer token for the demo owner, valid for a day (the default lifetime cap), bound
 * to the configured issuer and audience: what the README's curl commands use.
 */
export function devBearerToken(
  jwtSecret: string,
  binding: { readonly issuer?: string | undefined; readonly audience?: string | undefined } = {},
  owner = DEMO_OWNER,
): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(owner).setIssuedAt().setExpirationTime('24h');
  if (binding.issuer !== undefined) jwt.setIssuer(binding.issuer);
  if (binding.audience !== undefined) jwt.setAudience(binding.audience);
  return jwt.sign(new TextEncoder().encode(jwtSecret));
}
