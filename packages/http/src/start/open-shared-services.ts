import { createServiceContainer, type Env, type ServiceContainer } from '@selfie-lora/adapters';
import { configure } from './configure.js';

/**
 * For processes that work next to a running service on its real PostgreSQL, S3 and Replicate
 * (`npm run worker`, `npm run audit`): the validated environment and the container, or null
 * after saying on stderr why not. There are no embedded defaults here: an embedded PostgreSQL
 * belongs to the `npm start` process that started it and cannot be shared.
 */
export async function openSharedServices(
  what: string,
  environment: Readonly<Record<string, string | undefined>>,
  complain: (text: string) => void,
): Promise<{ env: Env; container: ServiceContainer } | null> {
  const env = configure(environment).match(
    (valid) => valid,
    (problems) => {
      complain(problems);
      return null;
    },
  );
  if (env === null) return null;
  if (env.DATABASE_URL === undefined) {
    complain(
      `DATABASE_URL is not set: ${what} needs the PostgreSQL database the service uses.\n` +
        'The embedded PostgreSQL of `npm start` belongs to that process and cannot be shared.',
    );
    return null;
  }
  return createServiceContainer(env).match(
    (container) => ({ env, container }),
    (failure) => {
      complain(`Could not start ${what}: ${failure.message}`);
      return null;
    },
  );
}
