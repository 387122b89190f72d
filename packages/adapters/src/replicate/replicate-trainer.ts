import { err, errAsync, ok, okAsync, Result, ResultAsync } from 'neverthrow';
import Replicate from 'replicate';
import type { z } from 'zod';
import {
  destinationRef,
  domainError,
  parseVersion,
  type Destination,
  type PipelineId,
  type Submission,
  type Trainer,
  type TrainerDeletionError,
  type TrainerErasure,
  type TrainerError,
  type TrainerInventory,
  type TrainerReport,
  type TrainerTraining,
  type TrainerVersion,
} from '@selfie-lora/core';
import { classifyTrainerFailure, httpStatusOf } from './replicate-errors.js';
import { ReplicateCallGate, type ReplicateRateLimits } from './replicate-rate-limits.js';
import {
  invalid,
  listedTrainingPageSchema,
  modelSchema,
  parseWith,
  submittedFor,
  toTrainerReport,
  toTrainerTraining,
  toTrainerVersion,
  trainingIdPattern,
  trainingPageSchema,
  trainingSchema,
  versionPageSchema,
  type InvalidResponse,
} from './replicate-schemas.js';

export type WebhookEventType = 'start' | 'output' | 'logs' | 'completed';

export interface ReplicateTrainerConfig {
  readonly apiToken: string;
  /** Default `https://api.replicate.com/v1`; the simulator's `baseUrl` in tests and dev. */
  readonly baseUrl?: string;
  /** The trainer to run, `owner/name:version` (e.g. `ostris/flux-dev-lora-trainer:<version>`). */
  readonly trainer: string;
  /** Where Replicate posts webhooks (`PUBLIC_BASE_URL + /v1/webhooks/replicate`); none when absent. */
  readonly webhookUrl?: string | null;
  readonly webhookEventsFilter?: readonly WebhookEventType[];
  /** Hardware SKU for destination models created on demand. */
  readonly hardware?: string;
  readonly fetch?: typeof fetch;
  /** Per HTTP request; the client retries GETs on 429/5xx and any request on network errors. */
  readonly requestTimeoutMs?: number;
  /** Bound on the pages `findSubmission` and `listRecentTrainings` read (100 items a page); default 10. */
  readonly maxListPages?: number;
  /**
   * Bound on the pages `listVersions` and `listTrainings` read (100 items a page); default 100.
   * Larger: the audit needs whole listings, and a shared destination holds everyone's versions.
   * A listing longer than this is an error, never a shorter list.
   */
  readonly maxAuditPages?: number;
  /** The deployment's limits on requests to Replicate, checked before each one is sent; none when absent. */
  readonly rateLimits?: ReplicateRateLimits;
}

/** Statuses by which Replicate refuses a deletion it will not do (not transport trouble). */
const REFUSALS: ReadonlySet<number> = new Set([400, 403, 409, 422]);

/** What `call` answers for the HTTP status the caller named as "not there". */
const ABSENT: unique symbol = Symbol('absent');

interface Page<Item> {
  readonly next?: string | null | undefined;
  readonly results: readonly Item[];
}

function parseTrainerRef(ref: string): { owner: string; name: string; version: string } {
  const parsed = parseVersion(ref);
  if (!parsed) throw new TypeError(`ReplicateTrainer: trainer must be "owner/name:version", got "${ref}"`);
  return { ...parsed.destination, version: parsed.hash };
}

function pageBound(name: string, value: number | undefined, fallback: number): number {
  const bound = value ?? fallback;
  if (!Number.isInteger(bound) || bound < 1) throw new TypeError(`ReplicateTrainer: ${name} must be a positive integer, got ${String(value)}`);
  return bound;
}

function urlSetting(name: string, value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new TypeError(`ReplicateTrainer: ${name} must be an absolute URL, got "${value}"`);
  }
}

/**
 * The `Trainer` port over the Replicate HTTP API (`replicate` client). Every answer is checked
 * against a schema before anything in it is used; failures are classified, never thrown.
 */
export class ReplicateTrainer implements Trainer, TrainerInventory, TrainerErasure {
  private readonly client: Replicate;
  private readonly trainer: { owner: string; name: string; version: string };
  private readonly origin: string;
  private readonly maxListPages: number;
  private readonly maxAuditPages: number;

  constructor(private readonly config: ReplicateTrainerConfig) {
    // Configuration errors surface at start-up, naming the setting.
    this.trainer = parseTrainerRef(config.trainer);
    const baseUrl = config.baseUrl ?? 'https://api.replicate.com/v1';
    this.origin = urlSetting('baseUrl', baseUrl).origin;
    if (config.webhookUrl) urlSetting('webhookUrl', config.webhookUrl);
    if (config.apiToken.length === 0) throw new TypeError('ReplicateTrainer: apiToken is empty');
    this.maxListPages = pageBound('maxListPages', config.maxListPages, 10);
    this.maxAuditPages = pageBound('maxAuditPages', config.maxAuditPages, 100);
    const timeoutMs = config.requestTimeoutMs ?? 30_000;
    const baseFetch = config.fetch ?? globalThis.fetch;
    const gate = config.rateLimits ? new ReplicateCallGate(config.rateLimits) : null;
    const timedFetch = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
      // Admitted before the timeout starts: waiting for the limit's next window is not the trainer being slow.
      if (gate !== null) {
        const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
        const refused = await gate.admit(method, input instanceof Request ? input.url : String(input));
        if (refused !== null) return refused;
      }
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        return await baseFetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
      } catch (cause) {
        if ((init?.method ?? 'GET') === 'GET') throw cause;
        // The client retries anything thrown, POSTs included; a create that timed out may have
        // been accepted, and repeating it would start duplicate trainings. Answer instead (not
        // retried for a POST); the caller sees trainer.unavailable and findSubmission adopts it.
        const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
        return new Response(JSON.stringify({ detail: `network failure: ${detail}` }), { status: 599, statusText: 'Network Failure' });
      }
    };
    this.client = new Replicate({ auth: config.apiToken, baseUrl, fetch: timedFetch });
  }

  /**
   * One client call; `absentOn` names the HTTP status that means "not there", answered as
   * `ABSENT` (not null: a body that is JSON `null` is a malformed answer, not an absence).
   */
  private call(context: string, request: () => Promise<unknown>, absentOn?: number): ResultAsync<unknown, TrainerError> {
    return ResultAsync.fromPromise(Promise.resolve().then(request), (cause) => cause).orElse((cause) =>
      absentOn !== undefined && httpStatusOf(cause) === absentOn
        ? okAsync<unknown, TrainerError>(ABSENT)
        : errAsync(classifyTrainerFailure(cause, context)),
    );
  }

  submit(submission: Submission): ResultAsync<TrainerReport, TrainerError> {
    const destination = destinationRef(submission.destination);
    const webhook = this.config.webhookUrl
      ? { webhook: this.config.webhookUrl, webhook_events_filter: [...(this.config.webhookEventsFilter ?? ['completed'])] }
      : {};
    return this.ensureDestination(submission.destination)
      .andThen(() =>
        this.call(`create training for ${destination}`, () =>
          this.client.trainings.create(this.trainer.owner, this.trainer.name, this.trainer.version, {
            destination: destination as `${string}/${string}`,
            input: { input_images: submission.inputUrl, trigger_word: submission.triggerWord },
            ...webhook,
          }),
        ),
      )
      .andThen((json) => parseWith(trainingSchema, json, 'created training'))
      .andThen((training) => {
        // The answer must describe a training of the input we gave (I4), when it says.
        const input = training.input?.['input_images'];
        return input === undefined || input === submission.inputUrl
          ? toTrainerReport(training)
          : err(invalid(`training ${training.id} names another input`));
      });
  }

  /** Models are created private on first use; a concurrent creator winning the race (409) is fine. */
  private ensureDestination(destination: Destination): ResultAsync<void, TrainerError> {
    const ref = destinationRef(destination);
    const isThisModel = (json: unknown) =>
      parseWith(modelSchema, json, `model ${ref}`).andThen((model) =>
        model.owner === destination.owner && model.name === destination.name
          ? ok(undefined)
          : err(invalid(`asked for ${ref}, got ${model.owner}/${model.name}`)),
      );
    const create = () =>
      this.call(
        `create model ${ref}`,
        () =>
          this.client.models.create(destination.owner, destination.name, {
            visibility: 'private',
            hardware: this.config.hardware ?? 'gpu-t4',
            description: 'Selfie LoRA destination (managed by selfie-lora)',
          }),
        409,
      ).andThen((created) => (created === ABSENT ? ok(undefined) : isThisModel(created)));
    return this.call(`get model ${ref}`, () => this.client.models.get(destination.owner, destination.name), 404).andThen(
      (found): ResultAsync<void, TrainerError> => (found === ABSENT ? create() : isThisModel(found).asyncAndThen(() => okAsync(undefined))),
    );
  }

  findSubmission(pipelineId: PipelineId): ResultAsync<TrainerReport | null, TrainerError> {
    const search = (page: unknown, pagesLeft: number): ResultAsync<TrainerReport | null, TrainerError> =>
      parseWith(trainingPageSchema, page, 'training list')
        .asyncAndThen((parsed): ResultAsync<TrainerReport | null, TrainerError> => {
          // Most recent first: the latest training of this pipeline is the one to adopt.
          const found = parsed.results.find((training) => submittedFor(training) === pipelineId);
          if (found) return toTrainerReport(found).asyncAndThen((report) => okAsync(report));
          if (!parsed.next || pagesLeft <= 1) return okAsync(null);
          return this.nextPage(parsed.next, 'training list').andThen((next) => search(next, pagesLeft - 1));
        });
    return this.call('list trainings', () => this.client.trainings.list()).andThen((first) => search(first, this.maxListPages));
  }

  /** Follows a `next` link, only to the API origin we were configured with (it carries our token). */
  private nextPage(next: string, what: string): ResultAsync<unknown, TrainerError> {
    let url: URL;
    try {
      url = new URL(next);
    } catch {
      return errAsync(invalid(`${what}: malformed next link`));
    }
    if (url.origin !== this.origin) return errAsync(invalid(`${what}: next link leaves ${this.origin}`));
    return this.call(what, () => this.client.request(url, { method: 'GET' }).then((response): Promise<unknown> => response.json()));
  }

  get(trainerTrainingId: string): ResultAsync<TrainerReport, TrainerError> {
    if (!trainingIdPattern.test(trainerTrainingId)) {
      return errAsync(domainError('trainer.rejected', `malformed training id ${JSON.stringify(trainerTrainingId)}`));
    }
    return this.call(`get training ${trainerTrainingId}`, () => this.client.trainings.get(trainerTrainingId))
      .andThen((json) => parseWith(trainingSchema, json, `training ${trainerTrainingId}`))
      .andThen(toTrainerReport);
  }

  cancel(trainerTrainingId: string): ResultAsync<void, TrainerError> {
    if (!trainingIdPattern.test(trainerTrainingId)) {
      return errAsync(domainError('trainer.rejected', `malformed training id ${JSON.stringify(trainerTrainingId)}`));
    }
    return this.call(`cancel training ${trainerTrainingId}`, () => this.client.trainings.cancel(trainerTrainingId))
      .andThen((json) => parseWith(trainingSchema, json, `canceled training ${trainerTrainingId}`))
      .andThen((training) =>
        training.id === trainerTrainingId ? okAsync(undefined) : errAsync(invalid(`cancel of ${trainerTrainingId} answered ${training.id}`)),
      );
  }

  /**
   * `DELETE /v1/models/{owner}/{name}/versions/{id}` (202: Replicate deletes asynchronously).
   * Replicate refuses a version of a public model, one someone else has run, or one a training
   * uses as its base; the clients have no method for it, so it goes through `client.request`.
   */
  deleteVersion(version: string): ResultAsync<void, TrainerDeletionError> {
    const parsed = parseVersion(version);
    if (parsed === null) return errAsync(domainError('trainer.rejected', `malformed version ${JSON.stringify(version)}`));
    const { owner, name } = parsed.destination;
    return this.deletion(`delete version ${version}`, `/models/${owner}/${name}/versions/${parsed.hash}`);
  }

  /** `DELETE /v1/models/{owner}/{name}` (204): only a private model with no version left. */
  deleteModel(destination: Destination): ResultAsync<void, TrainerDeletionError> {
    return this.deletion(`delete model ${destinationRef(destination)}`, `/models/${destination.owner}/${destination.name}`);
  }

  /**
   * A DELETE: 404 means it is not there (done); 400, 403, 409 and 422 are Replicate's refusals of
   * the deletion (`trainer.deletion_refused`, with its reason); anything else is classified as
   * every other call (429, 5xx and network failures are transient, retried by the erasure).
   */
  private deletion(context: string, path: string): ResultAsync<void, TrainerDeletionError> {
    return ResultAsync.fromPromise(
      Promise.resolve().then(() => this.client.request(path, { method: 'DELETE' })),
      (cause) => cause,
    )
      .map(() => undefined)
      .orElse((cause): ResultAsync<void, TrainerDeletionError> => {
        const status = httpStatusOf(cause);
        if (status === 404) return okAsync(undefined);
        if (status !== null && REFUSALS.has(status)) {
          const reason = cause instanceof Error ? cause.message : String(cause);
          return errAsync(domainError('trainer.deletion_refused', `${context}: ${reason}`));
        }
        return errAsync(classifyTrainerFailure(cause, context));
      });
  }

  /** Every version at a destination (none when the model does not exist), most recent first. */
  listVersions(destination: Destination): ResultAsync<readonly TrainerVersion[], TrainerError> {
    const ref = destinationRef(destination);
    return this.call(`list versions of ${ref}`, () => this.client.models.versions.list(destination.owner, destination.name), 404).andThen(
      (first) =>
        first === ABSENT
          ? okAsync([])
          : this.readAll(`versions of ${ref}`, first, versionPageSchema, (version) => ok(toTrainerVersion(destination, version))),
    );
  }

  /** Every training the account lists, most recent first, whoever submitted it. */
  listTrainings(): ResultAsync<readonly TrainerTraining[], TrainerError> {
    return this.call('list trainings', () => this.client.trainings.list()).andThen((first) =>
      this.readAll('training list', first, listedTrainingPageSchema, toTrainerTraining),
    );
  }

  /**
   * The newest trainings, page by page, until a page ends with one created before `since` (one
   * whose time is unknown does not stop it) or `maxListPages` pages were read. A hint for the
   * poll sweep, so a bound reached ends the listing instead of failing it.
   */
  listRecentTrainings(since: Date): ResultAsync<readonly TrainerTraining[], TrainerError> {
    const pastSince = (page: readonly TrainerTraining[]) => {
      const last = page.at(-1)?.createdAt ?? null;
      return last !== null && last < since;
    };
    return this.call('list trainings', () => this.client.trainings.list()).andThen((first) =>
      this.readAll('recent trainings', first, listedTrainingPageSchema, toTrainerTraining, { enough: pastSince, maxPages: this.maxListPages }),
    );
  }

  /**
   * Every item of a listing, from its first page along the `next` links. A page that fails its
   * schema, an item that fails its check, or more than `maxAuditPages` pages: an error, never a
   * shorter list. With `early` (a hint, not an inventory), it ends after the page `enough`
   * accepts, or at `early.maxPages`, with what was read.
   */
  private readAll<Item, T>(
    what: string,
    first: unknown,
    schema: z.ZodType<Page<Item>>,
    toItem: (item: Item) => Result<T, InvalidResponse>,
    early?: { readonly enough: (page: readonly T[]) => boolean; readonly maxPages: number },
  ): ResultAsync<readonly T[], TrainerError> {
    const read = (json: unknown, page: number, acc: readonly T[]): ResultAsync<readonly T[], TrainerError> =>
      parseWith(schema, json, `${what}, page ${page}`)
        .andThen((parsed) => Result.combine(parsed.results.map(toItem)).map((items) => ({ items, next: parsed.next ?? null })))
        .asyncAndThen(({ items, next }): ResultAsync<readonly T[], TrainerError> => {
          const all = acc.concat(items);
          if (next === null) return okAsync(all);
          if (early !== undefined) {
            if (early.enough(items) || page >= early.maxPages) return okAsync(all);
          } else if (page >= this.maxAuditPages) {
            return errAsync(invalid(`${what}: more than ${this.maxAuditPages} pages`));
          }
          return this.nextPage(next, what).andThen((json) => read(json, page + 1, all));
        });
    return read(first, 1, []);
  }
}
