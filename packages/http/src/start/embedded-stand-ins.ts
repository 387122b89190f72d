import type { Env } from '@selfie-lora/adapters';
// Type only, erased at build: the one place production code names the dev package (see below).
import type { ResolvedServices, startEmbeddedServices } from '@selfie-lora/local-stack';
import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import { describeCause, type StartFailure } from './start-error.js';

export type { ResolvedServices };

/** What start-up needs of the dev package. */
export interface LocalStack {
  readonly startEmbeddedServices: typeof startEmbeddedServices;
}

/** The variable whose absence means "use the embedded stand-in", per stand-in. */
const STAND_IN_KEYS = { postgres: 'DATABASE_URL', s3: 'S3_BUCKET', replicate: 'REPLICATE_API_TOKEN' } as const satisfies Record<ResolvedServices['embedded'][number], keyof Env>;

export const ALL_STAND_INS = Object.keys(STAND_IN_KEYS) as (keyof typeof STAND_IN_KEYS)[];

export interface StandInOptions {
  readonly dataDirectory: string;
  readonly serviceUrl: string;
  readonly say: (line: string) => void;
  readonly log?: (line: string) => void;
}

/** The services with no configuration, each by the variable that would configure it. */
function unconfiguredServices(env: Env): readonly (typeof STAND_IN_KEYS)[keyof typeof STAND_IN_KEYS][] {
  return Object.values(STAND_IN_KEYS).filter((key) => env[key] === undefined);
}

/** Loopback only: 127.0.0.0/8, ::1, localhost (the default HOST is 127.0.0.1). */
export function isLoopbackHost(host: string | undefined): boolean {
  return host === undefined || host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Stand-ins are for one machine: a local S3 and a database whose secrets sit in `.data`, a
 * simulated trainer, perhaps generated credentials. Serving them beyond loopback takes an
 * explicit ALLOW_NON_LOOPBACK_HOST=true.
 */
function exposedStandIns(env: Env, missing: readonly string[]): StartFailure | null {
  if (isLoopbackHost(env.HOST) || env.ALLOW_NON_LOOPBACK_HOST === true) return null;
  return {
    setting: 'HOST',
    message: `HOST=${env.HOST ?? ''} is not loopback and ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: the embedded dev stand-ins would be reachable from the network. Configure the real services, use a loopback HOST, or set ALLOW_NON_LOOPBACK_HOST=true`,
  };
}

function isMissingModule(cause: unknown): boolean {
  return typeof cause === 'object' && cause !== null && (cause as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND';
}

/**
 * Every configured service as it is; for the rest, the dev stand-ins of `@selfie-lora/local-stack`
 * (embedded PostgreSQL, local S3, the Replicate simulator). That package is loaded only here, only
 * when something is unconfigured: a production install (`npm ci --omit=dev`) does not have its
 * dependencies, and then start-up stops with one line naming what to configure.
 */
export function withStandIns(
  env: Env,
  options: StandInOptions,
  load: () => Promise<LocalStack> = () => import('@selfie-lora/local-stack'),
): ResultAsync<ResolvedServices, StartFailure> {
  const missing = unconfiguredServices(env);
  if (missing.length === 0) return okAsync({ env, embedded: [], stop: () => Promise.resolve() });
  const exposed = exposedStandIns(env, missing);
  if (exposed !== null) return errAsync(exposed);
  return ResultAsync.fromPromise(load(), (cause) => ({
    setting: missing.join(', '),
    message: isMissingModule(cause)
      ? `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set and this install has no dev stand-ins (a production install): configure ${missing.length === 1 ? 'it' : 'them'} (see README "Run the service"), or run \`npm ci\` for the embedded ones`
      : `the dev stand-ins could not be loaded: ${describeCause(cause)}`,
  })).andThen((stack) => stack.startEmbeddedServices(env, options));
}
