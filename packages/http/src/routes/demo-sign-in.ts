import { SignJWT } from 'jose';
import { z } from 'zod';
import type { TokenBinding } from '../auth.js';
import { problemResponses } from '../schemas.js';
import type { App } from './context.js';

/** The one owner the demo sign-in acts for (the dev token printed by `npm start` is the same). */
export const DEMO_OWNER = 'demo-owner' as const;

/** A demo session lasts an hour: the page signs in again after that. */
export const DEMO_TOKEN_LIFETIME_SECONDS = 3600;

const demoSessionSchema = z
  .object({
    token: z.string().describe('Bearer JWT for the demo owner'),
    ownerId: z.literal(DEMO_OWNER),
    expiresAt: z.iso.datetime({ offset: true }).describe('The token is refused after this instant'),
  })
  .meta({ id: 'DemoSession' });

/**
 * `POST /v1/demo/sign-in`: a short-lived token for `demo-owner`, signed and bound like any host's
 * token (the auth hook's rules). Registered only when the service runs with development
 * credentials; otherwise the address answers 404 like any other unknown one.
 */
export function demoSignInRoutes(app: App, binding: TokenBinding): void {
  const key = new TextEncoder().encode(binding.jwtSecret);
  const lifetime = Math.min(DEMO_TOKEN_LIFETIME_SECONDS, binding.maxLifetimeSeconds ?? DEMO_TOKEN_LIFETIME_SECONDS);
  app.post(
    '/v1/demo/sign-in',
    {
      schema: {
        tags: ['web app'],
        summary: 'Sign in as the demo owner (development credentials only: absent when AUTH_JWT_SECRET is set)',
        response: { 200: demoSessionSchema, ...problemResponses },
      },
    },
    async (_request, reply) => {
      const issuedAt = Math.floor(Date.now() / 1000);
      const expiresAt = issuedAt + lifetime;
      const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(DEMO_OWNER).setIssuedAt(issuedAt).setExpirationTime(expiresAt);
      if (binding.issuer !== undefined) jwt.setIssuer(binding.issuer);
      if (binding.audience !== undefined) jwt.setAudience(binding.audience);
      reply.header('cache-control', 'no-store');
      return { token: await jwt.sign(key), ownerId: DEMO_OWNER, expiresAt: new Date(expiresAt * 1000).toISOString() };
    },
  );
}
