import { createServiceContainer, parseEnv, webAppSettingsFrom, type ServiceContainer } from '@selfie-lora/adapters/composition';
import { freePort, startLocalS3, type LocalS3 } from '@selfie-lora/local-stack';
import type { CoreDeps } from '@selfie-lora/core';
import { buildHttpApp, startWorker, type ScheduledJob, type Worker } from '@selfie-lora/http';
import { startReplicateSimulator, type RunningSimulator } from '@selfie-lora/replicate-simulator';
import { createScratchDatabase, type ScratchDatabase } from '@selfie-lora/testkit/postgres';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const JWT_SECRET = 'e2e-jwt-secret-long-enough-for-hs256-0123456789';
export const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';
export const WEBHOOK_SECRET = `whsec_${Buffer.from('e2e-webhook-secret-of-the-simulator!').toString('base64')}`;
export const ACCOUNT = 'e2e-account';
export const MIN_PHOTOS = 3;
/** TRAINING_POLL_INTERVAL_MS: short, so polling (the fallback) is observable within a test. */
export const POLL_INTERVAL_MS = 200;

export interface WorkerSettings {
  readonly id: string;
  readonly deps?: CoreDeps;
  readonly leaseMs?: number;
  /** A worker the test crashes: it renews nothing, so a step of its that never returns is abandoned at once. */
  readonly abandoned?: boolean;
  /** Scheduled jobs beside the pipelines (erasures owed, retention), as `backgroundJobs` makes them. */
  readonly jobs?: readonly ScheduledJob[];
}

export interface E2eService {
  /** The app's real URL (also PUBLIC_BASE_URL, where the simulator posts its webhooks). */
  readonly url: string;
  readonly simulator: RunningSimulator;
  readonly container: ServiceContainer;
  /** The environment the container was built from (for worker processes started next to it). */
  readonly environment: Readonly<Record<string, string>>;
  /** Starts a worker on the real container (or on `deps` built over it); the app wakes the newest one. */
  startWorker(settings: WorkerSettings): Worker;
  /** Stops the workers still running, the app, the container, s3rver, the simulator; drops the database. */
  close(): Promise<void>;
}

export interface E2eServiceOptions {
  /** Wraps the scratch database's URL (e.g. to put a fault proxy in front of it). */
  readonly databaseUrl?: (url: string) => string;
  /** Settings on top of the defaults below. */
  readonly env?: Readonly<Record<string, string>>;
  /** Serve the web app (`packages/web/dist`, `/app-config.json`) as `npm start` does, with these settings. */
  readonly webApp?: { readonly presignedThresholdBytes?: number };
}

/**
 * The real service composed in-process the way `npm start` does it (startService): a container
 * from a validated environment over a scratch Postgres database, s3rver and the Replicate
 * simulator, the Fastify shell listening on loopback, and workers the test starts.
 */
export async function startE2eService(options: E2eServiceOptions = {}): Promise<E2eService> {
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((cause: unknown) => console.error('e2e cleanup:', cause));
  };
  try {
    const database: ScratchDatabase = await createScratchDatabase('e2e');
    closers.push(() => database.forceDrop());
    const s3Directory = await mkdtemp(join(tmpdir(), 'e2e-s3-'));
    closers.push(() => rm(s3Directory, { recursive: true, force: true }));
    const s3: LocalS3 = await startLocalS3({ directory: s3Directory });
    closers.push(() => s3.close());
    const simulator = await startReplicateSimulator({ webhookSecret: WEBHOOK_SECRET, account: ACCOUNT, apiToken: 'r8_e2e' });
    closers.push(() => simulator.close());

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const environment: Record<string, string> = {
      // A fault test puts its proxy in front of the database here.
      DATABASE_URL: options.databaseUrl ? options.databaseUrl(database.url) : database.url,
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_BUCKET: 'e2e-photos',
      S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
      REPLICATE_API_TOKEN: 'r8_e2e',
      REPLICATE_BASE_URL: simulator.baseUrl,
      REPLICATE_TRAINER: 'ostris/flux-dev-lora-trainer:e2e0123456789',
      REPLICATE_DESTINATION_OWNER: ACCOUNT,
      REPLICATE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PUBLIC_BASE_URL: url,
      AUTH_JWT_SECRET: JWT_SECRET,
      ADMIN_TOKEN,
      TRAINING_MIN_PHOTOS: String(MIN_PHOTOS),
      TRAINING_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
      HOST: '127.0.0.1',
      PORT: String(port),
      // Most e2e photos are flat colours, not faces; the face-check e2e test switches them on.
      FACE_CHECKS: 'off',
      // Most e2e tests train right after uploading; photos-after-answer.e2e.test.ts runs the
      // service's default (photos judged after the answer) end to end.
      PHOTO_CHECKS_AFTER_ANSWER: 'off',
      // The tests poll every 50 ms while they wait; on a loaded machine a wait past 15 s passed
      // the default 300 requests a minute and the poll was answered 429. Limits have tests of their own.
      RATE_LIMIT_MAX: '1000000',
      ...options.env,
    };
    const env = parseEnv(environment).match(
      (valid) => valid,
      (problems) => {
        throw new Error(`bad e2e environment: ${JSON.stringify(problems)}`);
      },
    );
    const container = (await createServiceContainer(env)).match(
      (built) => built,
      (failure) => {
        throw new Error(`container: ${failure.setting}: ${failure.message}`);
      },
    );
    closers.push(() => container.close());

    const workers = new Set<Worker>();
    let newest: Worker | null = null;
    closers.push(async () => {
      for (const worker of workers) await worker.stop();
    });
    const app = buildHttpApp({
      deps: container.deps,
      auth: { jwtSecret: JWT_SECRET },
      adminToken: ADMIN_TOKEN,
      verifyWebhook: container.verifyWebhook,
      readiness: container.readiness,
      onTrainingAccepted: () => newest?.wakeUp(),
      eventsPollIntervalMs: 100,
      ...(options.webApp ? { webApp: { ...webAppSettingsFrom(env), ...options.webApp } } : {}),
    });
    await app.listen({ host: '127.0.0.1', port });
    closers.push(() => app.close());

    return {
      url,
      simulator,
      container,
      environment,
      startWorker: (settings) => {
        const worker = startWorker({
          deps: settings.deps ?? container.deps,
          leases: container.leases,
          workerId: settings.id,
          pollIntervalMs: POLL_INTERVAL_MS,
          idleDelayMs: 50,
          ...(settings.leaseMs === undefined ? {} : { leaseMs: settings.leaseMs }),
          // A crashed process renews nothing: its lease must run out.
          ...(settings.abandoned === true ? { maxLeaseHoldMs: 0 } : {}),
          ...(settings.jobs === undefined ? {} : { jobs: settings.jobs }),
          onError: (error) => console.error(`worker ${settings.id}:`, error),
        });
        workers.add(worker);
        newest = worker;
        return {
          wakeUp: () => worker.wakeUp(),
          stop: async () => {
            workers.delete(worker);
            await worker.stop();
          },
        };
      },
      close: closeAll,
    };
  } catch (cause) {
    await closeAll();
    throw cause;
  }
}
