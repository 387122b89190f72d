import { createServiceContainer, webAppSettingsFrom, type Env, type ServiceContainer } from '@selfie-lora/adapters';
import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import { hostname } from 'node:os';
import { buildHttpApp } from '../app.js';
import { startWorker, workerSettings, type Worker } from '../worker/index.js';
import { devBearerToken, DEMO_OWNER, generatedSecret } from './dev-credentials.js';
import { ALL_STAND_INS, withStandIns, type ResolvedServices } from './embedded-stand-ins.js';
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

/**
 * THE decision on development credentials (one place: the web app's demo sign-in follows it).
 * Configured ones are used as they are. Only when EVERY service is embedded (nothing real to
 * protect), or with DEV_CREDENTIALS=true, is a JWT secret made up for this run, with a demo
 * owner's token (`devToken`) and, if unset, an admin token; a half-configured production start
 * never prints an admin token into its logs. With a real AUTH_JWT_SECRET there is no demo token
 * and ADMIN_TOKEN must be set too.
 */
function credentials(env: Env, embedded: ResolvedServices['embedded']): ResultAsync<Credentials, StartFailure> {
  if (env.AUTH_JWT_SECRET !== undefined && env.ADMIN_TOKEN !== undefined) {
    return okAsync({ jwtSecret: env.AUTH_JWT_SECRET, adminToken: env.ADMIN_TOKEN, devToken: null });
  }
  const real = ALL_STAND_INS.filter((service) => !embedded.includes(service));
  const mayGenerate = env.AUTH_JWT_SECRET === undefined && (real.length === 0 || env.DEV_CREDENTIALS === true);
  if (!mayGenerate) {
    return errAsync(
      env.AUTH_JWT_SECRET === undefined
        ? {
            setting: 'AUTH_JWT_SECRET',
            message: `AUTH_JWT_SECRET is not set: it is required when any service is real (here ${real.join(', ')}); only a fully embedded start generates development credentials (or set DEV_CREDENTIALS=true)`,
          }
        : { setting: 'ADMIN_TOKEN', message: 'ADMIN_TOKEN is not set: it is required with a real AUTH_JWT_SECRET (development credentials are made only without one)' },
    );
  }
  const jwtSecret = generatedSecret();
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
    logger: container.logger,
    onTrainingAccepted,
    // The page at `/`; its demo sign-in follows THE credentials decision above, nothing else.
    webApp: { ...webAppSettingsFrom(env), demoSignIn: creds.devToken !== null },
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
  return withStandIns(env, { dataDirectory: options.dataDirectory, serviceUrl: url, say: options.say, ...(options.log ? { log: options.log } : {}) }).andThen(
    (services) => {
      const undo = <T>(failure: StartFailure, ...closers: (() => Promise<void>)[]) =>
        ResultAsync.fromSafePromise(
          (async () => {
            for (const close of closers) await close().catch(() => undefined);
            await services.stop();
          })(),
        ).andThen(() => errAsync<T, StartFailure>(failure));
      return credentials(services.env, services.embedded)
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
                    ...workerSettings(container.deps, services.env),
                    onError: (error) => container.logger.error({ err: error, worker: 'shell' }, 'worker: a step or a lease call failed'),
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
