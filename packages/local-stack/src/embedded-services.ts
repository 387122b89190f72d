import { SERVICE_VARIABLES, strayServiceVariables, type Env, type ExternalService } from '@selfie-lora/adapters/composition';
import { startReplicateSimulator } from '@selfie-lora/replicate-simulator';
import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startEmbeddedPostgres } from './postgres/embedded-postgres.js';
import { startLocalS3 } from './s3/local-s3-server.js';
import { describeCause, type StandInFailure } from './stand-in-failure.js';

const LOCAL_BUCKET = 'selfie-lora';
const SIMULATED_TRAINER = 'simulated/flux-lora-trainer:0000000000simulated';
const SIMULATED_ACCOUNT = 'selfie-lora-dev';
const SIMULATED_TOKEN = 'r8_simulated';

export interface EmbeddedOptions {
  /** Where embedded data lives (`./.data`): `postgres/` and `s3/` below it. */
  readonly dataDirectory: string;
  /** The service's own URL: the simulator posts its webhooks there. */
  readonly serviceUrl: string;
  readonly say: (line: string) => void;
  readonly log?: (line: string) => void;
}

export interface ResolvedServices {
  /** The environment with every embedded service filled in: what the container is built from. */
  readonly env: Env;
  /** Which services are embedded (empty: all real). */
  readonly embedded: readonly ('postgres' | 's3' | 'replicate')[];
  /** Stops the embedded services, last started first. */
  stop(): Promise<void>;
}

/** The service's origin, and on loopback the same port under its other usual name. */
function pageOrigins(serviceUrl: string): string[] {
  const url = new URL(serviceUrl);
  const aliases = ['127.0.0.1', 'localhost'];
  if (!aliases.includes(url.hostname)) return [url.origin];
  return aliases.map((hostname) => Object.assign(new URL(url.origin), { hostname }).origin);
}

function attempt<T>(setting: string, what: string, task: () => Promise<T>): ResultAsync<T, StandInFailure> {
  return ResultAsync.fromPromise(Promise.resolve().then(task), (cause) => ({
    setting,
    message: `${setting} is unset and the embedded ${what} could not start: ${describeCause(cause)}`,
  }));
}

const LOUD = [
  '',
  '  ******************************************************************',
  '  *  THE TRAINER IS SIMULATED: no Replicate call, no real training. *',
  '  *  Set REPLICATE_API_TOKEN, REPLICATE_TRAINER,                     *',
  '  *  REPLICATE_DESTINATION_OWNER, REPLICATE_WEBHOOK_SECRET and       *',
  '  *  PUBLIC_BASE_URL to train for real.                              *',
  '  ******************************************************************',
  '',
];

/**
 * A stand-in fills in every variable of its service, so one set without the service's key would
 * be silently replaced: refused instead (parseEnv refuses it first; this guards any other caller).
 */
function refuseStrayVariables(env: Env): StandInFailure | null {
  for (const service of Object.keys(SERVICE_VARIABLES) as ExternalService[]) {
    const stray = strayServiceVariables(env, service);
    if (stray.length > 0) {
      const { key, standIn } = SERVICE_VARIABLES[service];
      return {
        setting: stray.join(', '),
        message: `${stray.join(', ')} ${stray.length === 1 ? 'is' : 'are'} set without ${key}: set ${key} and the rest of ${service}'s variables to use that service, or unset ${stray.length === 1 ? 'it' : 'them'} for the embedded ${standIn}`,
      };
    }
  }
  return null;
}

/**
 * Starts an embedded stand-in for every service whose variables are unset (Postgres, S3,
 * Replicate) and fills them into the environment; services that are configured are used as they
 * are. A service's variable set without its key is refused before anything starts. Any failure
 * stops what was already started and names the variable that would avoid it.
 */
export function startEmbeddedServices(env: Env, options: EmbeddedOptions): ResultAsync<ResolvedServices, StandInFailure> {
  const stray = refuseStrayVariables(env);
  if (stray !== null) return errAsync(stray);
  const stops: (() => Promise<void>)[] = [];
  const embedded: ResolvedServices['embedded'][number][] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  let resolved: Env = { ...env };

  const postgres = (): ResultAsync<void, StandInFailure> => {
    if (env.DATABASE_URL !== undefined) return okAsync(undefined);
    return startEmbeddedPostgres({ directory: join(options.dataDirectory, 'postgres'), ...(options.log ? { log: options.log } : {}) }).map(
      (server) => {
        stops.push(() => server.stop());
        embedded.push('postgres');
        resolved = { ...resolved, DATABASE_URL: server.url };
        options.say(`Embedded PostgreSQL (data in ${server.dataDirectory}); set DATABASE_URL to use your own.`);
        if (server.moved.length > 0) options.say(`  The "postgres" OS user it runs as cannot reach this checkout, so ${server.moved.join(', and ')}.`);
      },
    );
  };

  const s3 = (): ResultAsync<void, StandInFailure> => {
    if (env.S3_BUCKET !== undefined) return okAsync(undefined);
    const directory = join(options.dataDirectory, 's3');
    return attempt('S3_BUCKET', 'local S3 store', async () => {
      await mkdir(directory, { recursive: true });
      // The web app served at the service's URL PUTs large photos straight here (presigned).
      return startLocalS3({ directory, buckets: [LOCAL_BUCKET], corsOrigins: pageOrigins(options.serviceUrl) });
    }).map((store) => {
      stops.push(() => store.close());
      embedded.push('s3');
      resolved = {
        ...resolved,
        S3_ENDPOINT: store.endpoint,
        S3_REGION: store.region,
        S3_BUCKET: LOCAL_BUCKET,
        S3_ACCESS_KEY_ID: store.credentials.accessKeyId,
        S3_SECRET_ACCESS_KEY: store.credentials.secretAccessKey,
        S3_FORCE_PATH_STYLE: true,
        S3_CHECKSUM_MODE: 'when_required',
      };
      options.say(`Embedded S3-compatible store at ${store.endpoint} (objects in ${directory}); set S3_BUCKET and its keys to use your own.`);
    });
  };

  const replicate = (): ResultAsync<void, StandInFailure> => {
    if (env.REPLICATE_API_TOKEN !== undefined) return okAsync(undefined);
    // Standard Webhooks secrets are standard base64 after the prefix.
    const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
    return attempt('REPLICATE_API_TOKEN', 'Replicate simulator', () =>
      startReplicateSimulator({
        webhookSecret,
        apiToken: SIMULATED_TOKEN,
        account: SIMULATED_ACCOUNT,
        // A training "runs" for a few seconds or a few polls, then completes and sends its webhook.
        knobs: { autoComplete: { afterPolls: 3, afterMs: 4_000 } },
        ...(options.log ? { log: options.log } : {}),
      }),
    ).map((simulator) => {
      stops.push(() => simulator.close());
      embedded.push('replicate');
      resolved = {
        ...resolved,
        REPLICATE_API_TOKEN: SIMULATED_TOKEN,
        REPLICATE_BASE_URL: simulator.baseUrl,
        REPLICATE_TRAINER: SIMULATED_TRAINER,
        REPLICATE_DESTINATION_OWNER: SIMULATED_ACCOUNT,
        REPLICATE_WEBHOOK_SECRET: webhookSecret,
        PUBLIC_BASE_URL: options.serviceUrl,
      };
      for (const line of LOUD) options.say(line);
      options.say(`  Replicate SIMULATOR at ${simulator.baseUrl}`);
    });
  };

  return postgres()
    .andThen(s3)
    .andThen(replicate)
    .map((): ResolvedServices => ({ env: resolved, embedded, stop: stopAll }))
    .orElse((failure) => ResultAsync.fromSafePromise(stopAll()).andThen(() => errAsync(failure)));
}
