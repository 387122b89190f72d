import 'reflect-metadata';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { Container } from 'inversify';
import { err, errAsync, ok, okAsync, ResultAsync, type Result } from 'neverthrow';
import type { AuditPolicy, Clock, CoreConfig, CoreDeps, PipelineLeases, EventLog, IdSource, FaceInspector, ImageInspector, ObjectStore, PhotoNormaliser, Packager, Trainer, TrainerErasure, TrainerInventory } from '@selfie-lora/core';
import { HumanFaceInspector } from '../faces/human-face-inspector.js';
import { ImageWorkQueue } from '../images/image-work-queue.js';
import { SharpImageInspector } from '../images/sharp-image-inspector.js';
import { SharpPhotoNormaliser } from '../images/sharp-photo-normaliser.js';
import { createPostgresDatabase, PostgresPipelineLeases, PostgresRateLimiter, type PostgresDatabase } from '../postgres/index.js';
import type { RateLimiter } from '../rate-limits/rate-limiter.js';
import { ReplicateTrainer, verifyReplicateWebhook } from '../replicate/index.js';
import { connectS3, S3ObjectStore, S3Packager, type S3Bucket } from '../s3/index.js';
import { createOperatorLogger, OperatorEventLog, type OperatorLogger } from '../system/operator-log.js';
import { RandomIdSource } from '../system/random-id-source.js';
import { SystemClock } from '../system/system-clock.js';
import { auditPolicyFrom, coreConfigFrom, imageLimitsFrom } from './core-config.js';
import type { Env } from './service-config.js';
import { webhookVerifier, type ServiceWebhookVerifier } from './webhook-verifier.js';

/** Why the service could not start: `setting` names the variable or service at fault. */
export interface StartError {
  readonly setting: string;
  readonly message: string;
}

export type ServiceReadiness = () => Promise<Result<void, { readonly code: string; readonly message: string }>>;

/** Service identifiers of the container; string keys keep them readable in inversify's errors. */
export const SERVICE = {
  env: 'Env',
  database: 'PostgresDatabase',
  s3: 'S3Bucket',
  objects: 'ObjectStore',
  packager: 'Packager',
  trainer: 'Trainer',
  images: 'ImageInspector',
  imageQueue: 'ImageWorkQueue',
  photos: 'PhotoNormaliser',
  faces: 'FaceInspector',
  clock: 'Clock',
  ids: 'IdSource',
  log: 'EventLog',
  config: 'CoreConfig',
  deps: 'CoreDeps',
  verifyWebhook: 'WebhookVerifier',
  readiness: 'Readiness',
  leases: 'PipelineLeases',
  auditPolicy: 'AuditPolicy',
} as const;

export interface ServiceContainer {
  readonly container: Container;
  readonly deps: CoreDeps;
  readonly verifyWebhook: ServiceWebhookVerifier;
  /** The database (`SELECT 1` in a transaction) and the bucket (HeadBucket). */
  readonly readiness: ServiceReadiness;
  readonly leases: PipelineLeases;
  /** The audit's thresholds (AUDIT_*) and the webhook URL our trainings report to. */
  readonly auditPolicy: AuditPolicy;
  readonly database: PostgresDatabase;
  /** The operator's structured log (pino, JSON lines on stderr): the core's events, the worker's and the shell's errors. */
  readonly logger: OperatorLogger;
  /** Closes the leases' pool, the S3 clients, then the database pool; calling it again is harmless. */
  close(): Promise<void>;
}

interface RealSettings {
  readonly databaseUrl: string;
  readonly s3: { endpoint: string | undefined; region: string; bucket: string; accessKeyId: string; secretAccessKey: string };
  readonly replicate: { apiToken: string; trainer: string; account: string; webhookSecret: string; publicBaseUrl: string };
}

const missing = (setting: string, what: string): StartError => ({
  setting,
  message: `${setting} is not set: the service container needs ${what} (npm start provides embedded ones when it is unset)`,
});

function settingsFrom(env: Env): Result<RealSettings, StartError> {
  const required: readonly [keyof Env, string][] = [
    ['DATABASE_URL', 'a PostgreSQL database'],
    ['S3_BUCKET', 'an S3 bucket'],
    ['S3_ACCESS_KEY_ID', 'S3 credentials'],
    ['S3_SECRET_ACCESS_KEY', 'S3 credentials'],
    ['REPLICATE_API_TOKEN', 'a Replicate API token'],
    ['REPLICATE_TRAINER', 'the Replicate trainer to run'],
    ['REPLICATE_DESTINATION_OWNER', 'the Replicate account that owns the models'],
    ['REPLICATE_WEBHOOK_SECRET', 'the Replicate webhook secret'],
    ['PUBLIC_BASE_URL', 'the public URL Replicate posts webhooks to'],
  ];
  const absent = required.find(([name]) => env[name] === undefined);
  if (absent) return err(missing(absent[0], absent[1]));
  return ok({
    databaseUrl: env.DATABASE_URL!,
    s3: {
      endpoint: env.S3_ENDPOINT,
      region: env.S3_REGION ?? 'us-east-1',
      bucket: env.S3_BUCKET!,
      accessKeyId: env.S3_ACCESS_KEY_ID!,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY!,
    },
    replicate: {
      apiToken: env.REPLICATE_API_TOKEN!,
      trainer: env.REPLICATE_TRAINER!,
      account: env.REPLICATE_DESTINATION_OWNER!,
      webhookSecret: env.REPLICATE_WEBHOOK_SECRET!,
      publicBaseUrl: env.PUBLIC_BASE_URL!,
    },
  });
}

/** Where a database URL points, without its password. */
function databaseLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

const webhookUrlOf = (publicBaseUrl: string) => new URL('/v1/webhooks/replicate', publicBaseUrl).toString();

function replicateTrainer(env: Env, settings: RealSettings['replicate'], limiter?: RateLimiter): Result<ReplicateTrainer, StartError> {
  try {
    return ok(
      new ReplicateTrainer({
        apiToken: settings.apiToken,
        trainer: settings.trainer,
        ...(env.REPLICATE_BASE_URL ? { baseUrl: env.REPLICATE_BASE_URL } : {}),
        webhookUrl: webhookUrlOf(settings.publicBaseUrl),
        // Replicate's limits hold for the account, so every process of the deployment counts in
        // one place: the database they share (decision 94).
        ...(limiter
          ? {
              rateLimits: {
                limiter,
                clock: new SystemClock(),
                createPerMinute: env.REPLICATE_CREATE_PER_MINUTE,
                callsPerMinute: env.REPLICATE_CALLS_PER_MINUTE,
              },
            }
          : {}),
      }),
    );
  } catch (cause) {
    return err({ setting: 'REPLICATE_*', message: `the Replicate trainer could not be configured: ${String(cause)}` });
  }
}

/**
 * Not ready while PostgreSQL or the bucket does not answer. The answer is public (`/readyz`), so
 * it names which dependency is down and nothing else: the bucket's name and the raw causes go to
 * the operator's log.
 */
function readinessOf(database: PostgresDatabase, s3: S3Bucket, logger: OperatorLogger): ServiceReadiness {
  const notReady = (dependency: string, what: string) => (cause: unknown) => {
    logger.warn({ err: cause, dependency }, `readiness: ${dependency} is not reachable`);
    return { code: 'service.not_ready', message: `The service is not ready: its ${what} is not reachable. Please try again shortly.` };
  };
  return async () =>
    database
      .transaction(() => okAsync(undefined))
      .mapErr(notReady('postgres', 'database'))
      .andThen(() => ResultAsync.fromPromise(s3.client.send(new HeadBucketCommand({ Bucket: s3.bucket })), notReady('s3', 'photo storage')))
      .map(() => undefined);
}

interface Opened {
  readonly database: PostgresDatabase;
  readonly s3: S3Bucket;
  readonly leases: PostgresPipelineLeases;
  readonly trainer: Trainer & TrainerInventory & TrainerErasure;
  readonly logger: OperatorLogger;
}

function bindAll(container: Container, env: Env, settings: RealSettings, opened: Opened): void {
  const { database, s3, trainer, leases } = opened;
  container.bind<Env>(SERVICE.env).toConstantValue(env);
  container.bind<PostgresDatabase>(SERVICE.database).toConstantValue(database);
  container.bind<S3Bucket>(SERVICE.s3).toConstantValue(s3);
  container.bind<Trainer & TrainerInventory & TrainerErasure>(SERVICE.trainer).toConstantValue(trainer);
  container.bind<ObjectStore>(SERVICE.objects).toDynamicValue((c) => new S3ObjectStore(c.get<S3Bucket>(SERVICE.s3)));
  container.bind<Packager>(SERVICE.packager).toDynamicValue((c) => new S3Packager(c.get<S3Bucket>(SERVICE.s3)));
  // One bounded line for all image work of the process (decodes, HEIC, face checks).
  container.bind<ImageWorkQueue>(SERVICE.imageQueue).toDynamicValue((c) => new ImageWorkQueue(imageLimitsFrom(c.get<Env>(SERVICE.env)).work));
  container.bind<ImageInspector>(SERVICE.images).toDynamicValue(() => new SharpImageInspector());
  container
    .bind<SharpPhotoNormaliser>(SERVICE.photos)
    .toDynamicValue((c) => new SharpPhotoNormaliser({ maxPixels: imageLimitsFrom(c.get<Env>(SERVICE.env)).maxPixels, queue: c.get(SERVICE.imageQueue) }))
    .onDeactivation((normaliser) => normaliser.close());
  container
    .bind<HumanFaceInspector | null>(SERVICE.faces)
    .toDynamicValue((c) => (c.get<Env>(SERVICE.env).FACE_CHECKS === 'off' ? null : new HumanFaceInspector({ queue: c.get(SERVICE.imageQueue) })))
    .onDeactivation((faces) => faces?.close());
  container.bind<Clock>(SERVICE.clock).toDynamicValue(() => new SystemClock());
  container.bind<IdSource>(SERVICE.ids).toDynamicValue(() => new RandomIdSource());
  container.bind<EventLog>(SERVICE.log).toDynamicValue(() => new OperatorEventLog(opened.logger));
  container.bind<CoreConfig>(SERVICE.config).toDynamicValue((c) => coreConfigFrom(c.get<Env>(SERVICE.env), settings.replicate.account));
  container.bind<CoreDeps>(SERVICE.deps).toDynamicValue((c) => ({
    uow: c.get<PostgresDatabase>(SERVICE.database),
    objects: c.get<ObjectStore>(SERVICE.objects),
    images: c.get<ImageInspector>(SERVICE.images),
    photos: c.get<PhotoNormaliser>(SERVICE.photos),
    faces: c.get<FaceInspector | null>(SERVICE.faces),
    packager: c.get<Packager>(SERVICE.packager),
    trainer: c.get<Trainer & TrainerInventory & TrainerErasure>(SERVICE.trainer),
    clock: c.get<Clock>(SERVICE.clock),
    ids: c.get<IdSource>(SERVICE.ids),
    log: c.get<EventLog>(SERVICE.log),
    config: c.get<CoreConfig>(SERVICE.config),
  }));
  container
    .bind<ServiceWebhookVerifier>(SERVICE.verifyWebhook)
    .toDynamicValue((c) => webhookVerifier(settings.replicate.webhookSecret, c.get<Clock>(SERVICE.clock), verifyReplicateWebhook));
  container.bind<ServiceReadiness>(SERVICE.readiness).toDynamicValue((c) => readinessOf(c.get(SERVICE.database), c.get(SERVICE.s3), opened.logger));
  container.bind<PipelineLeases>(SERVICE.leases).toConstantValue(leases);
  container
    .bind<AuditPolicy>(SERVICE.auditPolicy)
    .toDynamicValue((c) => auditPolicyFrom(c.get<Env>(SERVICE.env), webhookUrlOf(settings.replicate.publicBaseUrl)));
}

/**
 * The composition root: builds the real adapters (PostgreSQL, S3, Replicate) from a validated
 * configuration, binds them in an inversify container (no decorators: every binding is a
 * factory) and resolves the core's dependencies. Opens the database (running migrations) and
 * checks the bucket before answering; any failure names the variable or service at fault and
 * releases what was already opened.
 */
export function createServiceContainer(env: Env): ResultAsync<ServiceContainer, StartError> {
  // The trainer's settings are checked before anything is opened; it is built for real once the
  // database that holds the shared rate limits is open.
  return settingsFrom(env).asyncAndThen((real) => replicateTrainer(env, real.replicate).asyncAndThen(() => open(env, real)));
}

function open(env: Env, real: RealSettings): ResultAsync<ServiceContainer, StartError> {
  return createPostgresDatabase({ url: real.databaseUrl })
    .mapErr((e): StartError => ({ setting: 'DATABASE_URL', message: `PostgreSQL at ${databaseLabel(real.databaseUrl)} could not be opened: ${e.message}` }))
    .andThen((database) => {
      const s3 = connectS3({ ...real.s3, forcePathStyle: env.S3_FORCE_PATH_STYLE ?? false, checksumMode: env.S3_CHECKSUM_MODE ?? 'when_required' });
      let leases: PostgresPipelineLeases | null = null;
      let limiter: PostgresRateLimiter | null = null;
      // Reverse order of opening: the rate limits' and the leases' pools, the bucket's clients, the database pool.
      const releaseAll = () =>
        (limiter ? limiter.close().orElse(() => okAsync(undefined)) : okAsync(undefined))
          .andThen(() => (leases ? leases.close().orElse(() => okAsync(undefined)) : okAsync(undefined)))
          .andThen(() => {
          s3.close();
          return database.close();
        });
      const failWith = (failure: StartError) =>
        releaseAll()
          .orElse(() => okAsync(undefined))
          .andThen(() => errAsync<never, StartError>(failure));
      const objects = new S3ObjectStore(s3);
      return objects
        .ensureBucket()
        .andThen(() => objects.checkUnversioned())
        .orElse((e) =>
          failWith({ setting: 'S3_BUCKET', message: `S3 bucket ${real.s3.bucket} at ${real.s3.endpoint ?? 'AWS'} is not usable: ${e.message}${e.detail === undefined ? '' : ` (${e.detail})`}` }),
        )
        .andThen(() =>
          PostgresPipelineLeases.open({ url: real.databaseUrl }).orElse((e) =>
            failWith({ setting: 'DATABASE_URL', message: `the pipeline leases at ${databaseLabel(real.databaseUrl)} could not be opened: ${e.message}` }),
          ),
        )
        .andThen((openedLeases) => {
          leases = openedLeases;
          return PostgresRateLimiter.open({ url: real.databaseUrl })
            .orElse((e) =>
              failWith({ setting: 'DATABASE_URL', message: `the shared rate limits at ${databaseLabel(real.databaseUrl)} could not be opened: ${e.message}` }),
            )
            .andThen((openedLimiter) => {
              limiter = openedLimiter;
              return replicateTrainer(env, real.replicate, openedLimiter)
                .asyncAndThen((trainer) => okAsync({ opened: openedLeases, trainer }))
                .orElse(failWith);
            });
        })
        .map(({ opened, trainer }): ServiceContainer => {
          const container = new Container({ defaultScope: 'Singleton' });
          const logger = createOperatorLogger({ name: 'selfie-lora' });
          bindAll(container, env, real, { database, s3, trainer, leases: opened, logger });
          let closing: Promise<void> | null = null;
          return {
            container,
            deps: container.get<CoreDeps>(SERVICE.deps),
            verifyWebhook: container.get<ServiceWebhookVerifier>(SERVICE.verifyWebhook),
            readiness: container.get<ServiceReadiness>(SERVICE.readiness),
            leases: container.get<PipelineLeases>(SERVICE.leases),
            auditPolicy: container.get<AuditPolicy>(SERVICE.auditPolicy),
            database,
            logger,
            close: () =>
              (closing ??= (async () => {
                await container.unbindAllAsync();
                await releaseAll().match(
                  () => undefined,
                  (e) => {
                    logger.error({ err: e }, 'closing PostgreSQL failed');
                  },
                );
              })()),
          };
        });
    });
}
