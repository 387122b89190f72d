import { createServiceContainer, type Env, type ServiceContainer } from '@selfie-lora/adapters';
import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import { hostname } from 'node:os';
import { buildHttpApp } from '../app.js';
import { startWorker, type Worker } from '../worker/index.js';
import { devBearerToken, DEMO_OWNER, generatedSecret } from './dev-credentials.js';
import { startEmbeddedServices, type ResolvedServices } from './embedded-services.js';
import { serviceUrl } from './configure.js';
import { httpSettingsFrom } from './http-settings.js';
import { describeCause, type StartFailure } from './start-error.js';

export interface StartOptions {
  /** Where embedded services keep their data (`./.data`). */
  readonly dataDirectory: string;
  /** Lines for the person who started the service (stdout). */
  readonly say: (line: string) => void;
  /** Embedded services' own chatter; silent by default. */
  readonly log?: (line: string) => void;
}

export interface RunningService {
  readonly url: string;
  readonly container: ServiceContainer;
  readonly embedded: ResolvedServices['embedded'];
  /** Present when the credentials were generated (embedded mode without AUTH_JWT_SECRET). */
  readonly devToken: string | null;
  readonly adminToken: string;
  /** Stops the worker, closes the HTTP server, the container, then the embedded services. */
  stop(): Promise<void>;
}

interface Credentials {
  readonly jwtSecret: string;
  readonly adminToken: string;
  readonly devToken: string | null;
}

/** Real deployments must set both; a service with only embedded stand-ins may make them up. */
function credentials(env: Env, embedded: boolean): ResultAsync<Credentials, StartFailure> {
  if (env.AUTH_JWT_SECRET !== undefined && env.ADMIN_TOKEN !== undefined) {
    return okAsync({ jwtSecret: env.AUTH_JWT_SECRET, adminToken: env.ADMIN_TOKEN, devToken: null });
  }
  if (!embedded) {
    const name = env.AUTH_JWT_SECRET === undefined ? 'AUTH_JWT_SECRET' : 'ADMIN_TOKEN';
    return errAsync({ setting: name, message: `${name} is not set: it is required when the services are real (only the embedded development mode generates one)` });
  }
  const jwtSecret = env.AUTH_JWT_SECRET ?? generatedSecret();
  const adminToken = env.ADMIN_TOKEN ?? generatedSecret();
  return ResultAsync.fromPromise(devBearerToken(jwtSecret, { issuer: env.AUTH_JWT_ISSUER, audience: env.AUTH_JWT_AUDIENCE }), (cause) => ({ setting: 'AUTH_JWT_SECRET', message: `could not sign a dev token: ${describeCause(cause)}` })).map(
    (devToken) => ({ jwtSecret, adminToken, devToken }),
  );
}

function listen(
  container: ServiceContainer,
  env: Env,
  creds: Credentials,
  onTrainingAccepted: () => void,
): ResultAsync<{ close(): Promise<void> }, StartFailure> {
  const app = buildHttpApp({
    deps: container.deps,
    ...httpSettingsFrom(env, creds.jwtSecret),
    adminToken: creds.adminToken,
    verifyWebhook: container.verifyWebhook,
    readiness: container.readiness,
    auditPolicy: container.auditPolicy,
    onTrainingAccepted,
  });
  const host = env.HOST ?? '127.0.0.1';
  return ResultAsync.fromPromise(app.listen({ host, port: env.PORT }), (cause) => ({
    setting: 'PORT',
    message: `could not listen on ${host}:${env.PORT} (HOST/PORT): ${describeCause(cause)}`,
  })).map(() => ({ close: () => app.close() }));
}

/**
 * `npm start`: embedded stand-ins for unset services, the composition root, the HTTP shell and
 * a worker in the same process. Each failure stops what was started and names its variable.
 */
export function startService(env: Env, options: StartOptions): ResultAsync<RunningService, StartFailure> {
  const url = serviceUrl(env);
  let wakeWorker = (): void => undefined;
  return startEmbeddedServices(env, { dataDirectory: options.dataDirectory, serviceUrl: url, say: options.say, ...(options.log ? { log: options.log } : {}) }).andThen(
    (services) => {
      const undo = <T>(failure: StartFailure, ...closers: (() => Promise<void>)[]) =>
        ResultAsync.fromSafePromise(
          (async () => {
            for (const close of closers) await close().catch(() => undefined);
            await services.stop();
          })(),
        ).andThen(() => errAsync<T, StartFailure>(failure));
      return credentials(services.env, services.embedded.length > 0)
        .orElse((failure) => undo<Credentials>(failure))
        .andThen((creds) =>
          createServiceContainer(services.env)
            .orElse((failure) => undo<ServiceContainer>(failure))
            .andThen((container) =>
              // The worker starts after the server listens; until then there is nothing to wake.
              listen(container, services.env, creds, () => wakeWorker())
                .orElse((failure) => undo<{ close(): Promise<void> }>(failure, () => container.close()))
                .map((server): RunningService => {
                  const worker: Worker = startWorker({
                    deps: container.deps,
                    leases: container.leases,
                    workerId: `${hostname()}:${process.pid}:shell`,
                    pollIntervalMs: services.env.TRAINING_POLL_INTERVAL_MS,
                    onError: (error) => process.stderr.write(`worker: ${describeCause(error)}\n`),
                  });
                  wakeWorker = () => worker.wakeUp();
                  let stopping: Promise<void> | null = null;
                  return {
                    url,
                    container,
                    embedded: services.embedded,
                    devToken: creds.devToken,
                    adminToken: creds.adminToken,
                    stop: () =>
                      (stopping ??= (async () => {
                        await worker.stop();
                        await server.close();
                        await container.close();
                        await services.stop();
                      })()),
                  };
                }),
            ),
        );
    },
  );
}

export { DEMO_OWNER };
