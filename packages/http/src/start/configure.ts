import { describeConfigErrors, parseEnv, type Env } from '@selfie-lora/adapters';
import type { Result } from 'neverthrow';

/** main's first step: the validated environment, or the text to print before exiting 1 (naming each variable). */
export function configure(environment: Readonly<Record<string, string | undefined>>): Result<Env, string> {
  return parseEnv(environment).mapErr(describeConfigErrors);
}

/** The URL the service answers on, for people and for the simulator's webhooks. */
export function serviceUrl(env: Env): string {
  const host = env.HOST ?? '127.0.0.1';
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${env.PORT}`;
}
