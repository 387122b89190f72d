import { randomBytes } from 'node:crypto';
import type { Knobs } from './knobs.js';
import { modelName, type CreateTrainingBody, type ModelJson, type TrainingJson, type TrainingStatus, type VersionJson } from './shapes.js';
import { downloadTrainingImages, versionHash, type ReceivedImages } from './training-input.js';
import { newWebhookMessage, type WebhookAttempt, type WebhookMessage, type WebhookSender } from './webhooks.js';

interface ModelState {
  readonly owner: string;
  readonly name: string;
  readonly visibility: 'public' | 'private';
  readonly hardware: string;
  readonly description: string | null;
  /** Most recent first, as Replicate lists them. */
  readonly versions: VersionJson[];
}

interface TrainingState {
  json: TrainingJson;
  readonly inputUrl: string;
  readonly received: ReceivedImages | null;
  readonly downloadError: string | null;
  polls: number;
  readonly webhookDeliveries: WebhookAttempt[];
  lastCompleted: WebhookMessage | null;
  timer: NodeJS.Timeout | null;
}

/** What a test can read about one training: the proof of which photos it received. */
export interface TrainingRecord {
  readonly id: string;
  readonly destination: string;
  readonly inputUrl: string;
  readonly triggerWord: string | null;
  readonly entries: readonly string[];
  readonly imageHashes: readonly string[];
  readonly downloadError: string | null;
  readonly polls: number;
  readonly webhookDeliveries: readonly WebhookAttempt[];
  readonly training: TrainingJson;
}

export type Outcome = 'succeeded' | 'failed' | 'canceled';

const TERMINAL: ReadonlySet<TrainingStatus> = new Set(['succeeded', 'failed', 'canceled']);
const MAX_INPUT_BYTES = 2 ** 31;
const DOWNLOAD_TIMEOUT_MS = 60_000;

function replicateId(): string {
  // Replicate ids are 26 lowercase base32 characters.
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(26)].map((byte) => alphabet[byte % 32]).join('');
}

/** The simulated account: models, versions and trainings, and how trainings end. */
export class SimulatedReplicate {
  private readonly models = new Map<string, ModelState>();
  private readonly trainings = new Map<string, TrainingState>();
  /** Creation order; lists answer most recent first. */
  private readonly order: string[] = [];
  private readonly pending = new Set<Promise<void>>();
  /** Versions (`owner/name:id`) someone else has run: Replicate keeps those. */
  private readonly runByOthers = new Set<string>();

  constructor(
    private readonly knobs: Knobs,
    private readonly sender: WebhookSender,
    private readonly now: () => Date,
    private readonly origin: () => string,
    private readonly log: (line: string) => void,
  ) {}

  // --- models ---------------------------------------------------------------------------

  getModel(owner: string, name: string): ModelJson | null {
    const model = this.models.get(`${owner}/${name}`);
    return model ? this.modelJson(model) : null;
  }

  createModel(fields: { owner: string; name: string; visibility: 'public' | 'private'; hardware: string; description?: string | undefined }): ModelJson | null {
    const ref = `${fields.owner}/${fields.name}`;
    if (this.models.has(ref)) return null;
    const model: ModelState = { ...fields, description: fields.description ?? null, versions: [] };
    this.models.set(ref, model);
    this.log(`created model ${ref} (${fields.visibility}, ${fields.hardware})`);
    return this.modelJson(model);
  }

  versions(owner: string, name: string): VersionJson[] | null {
    return this.models.get(`${owner}/${name}`)?.versions ?? null;
  }

  /**
   * Deletes a version as Replicate does: only of a private model, not one someone else ran, not
   * one a training uses as its base (a training of `owner/name:id`).
   */
  deleteVersion(owner: string, name: string, id: string): 'deleted' | 'absent' | { refused: string } {
    const ref = `${owner}/${name}`;
    const model = this.models.get(ref);
    if (!model || !model.versions.some((v) => v.id === id)) return 'absent';
    if (model.visibility !== 'private') return { refused: 'You can only delete versions from private models.' };
    if (this.runByOthers.has(`${ref}:${id}`)) return { refused: 'You cannot delete a version if someone other than you has run predictions with it.' };
    const asBase = [...this.trainings.values()].some((t) => t.json.model === ref && t.json.version === id);
    if (asBase) return { refused: 'You cannot delete a version if it is being used as the base model for a training.' };
    const index = model.versions.findIndex((v) => v.id === id);
    model.versions.splice(index, 1);
    this.log(`deleted version ${ref}:${id}`);
    return 'deleted';
  }

  /** Deletes a model as Replicate does: only a private one with no versions left. */
  deleteModel(owner: string, name: string): 'deleted' | 'absent' | { refused: string } {
    const ref = `${owner}/${name}`;
    const model = this.models.get(ref);
    if (!model) return 'absent';
    if (model.visibility !== 'private') return { refused: 'You can only delete private models.' };
    if (model.versions.length > 0) return { refused: 'You can only delete models that have no versions associated with them.' };
    this.models.delete(ref);
    this.log(`deleted model ${ref}`);
    return 'deleted';
  }

  /** Marks a version as run by someone else, so Replicate would refuse to delete it. */
  markRunByOthers(version: string): void {
    this.runByOthers.add(version);
  }

  /**
   * Adds a version no training of ours produced (what the audit must find), creating the model
   * when missing; returns `owner/name:id`.
   */
  plantVersion(destination: string, id = randomBytes(32).toString('hex')): string {
    const [owner = '', name = '', ...rest] = destination.split('/');
    if (!modelName.test(owner) || !modelName.test(name) || rest.length > 0 || !/^[A-Za-z0-9]{1,128}$/.test(id)) {
      throw new Error(`simulator: cannot plant version ${id} at ${destination}`);
    }
    if (!this.models.has(destination)) this.createModel({ owner, name, visibility: 'private', hardware: 'cpu' });
    this.models.get(destination)!.versions.unshift(this.versionJson(id));
    return `${destination}:${id}`;
  }

  private modelJson(model: ModelState): ModelJson {
    return {
      url: `https://replicate.com/${model.owner}/${model.name}`,
      owner: model.owner,
      name: model.name,
      description: model.description,
      visibility: model.visibility,
      github_url: null,
      paper_url: null,
      license_url: null,
      run_count: 0,
      cover_image_url: null,
      default_example: null,
      latest_version: model.versions[0] ?? null,
    };
  }

  private versionJson(id: string): VersionJson {
    return { id, created_at: this.now().toISOString(), cog_version: '0.9.0-simulated', openapi_schema: null };
  }

  // --- trainings ------------------------------------------------------------------------

  /** Downloads the input like the real trainer; a download that fails makes a training that will fail. */
  async createTraining(trainer: { owner: string; name: string; version: string }, body: CreateTrainingBody): Promise<TrainingJson> {
    const inputUrl = body.input.input_images;
    let received: ReceivedImages | null = null;
    let downloadError: string | null = null;
    try {
      received = await downloadTrainingImages(inputUrl, MAX_INPUT_BYTES, DOWNLOAD_TIMEOUT_MS);
    } catch (cause) {
      downloadError = cause instanceof Error ? cause.message : String(cause);
    }
    const id = replicateId();
    const base = `${this.origin()}/v1/trainings/${id}`;
    const json: TrainingJson = {
      id,
      model: `${trainer.owner}/${trainer.name}`,
      version: trainer.version,
      destination: body.destination,
      input: body.input,
      output: null,
      logs: '',
      error: null,
      status: 'starting',
      source: 'api',
      created_at: this.now().toISOString(),
      started_at: null,
      completed_at: null,
      urls: { get: base, cancel: `${base}/cancel` },
      ...(body.webhook === undefined ? {} : { webhook: body.webhook }),
      ...(body.webhook_events_filter === undefined ? {} : { webhook_events_filter: body.webhook_events_filter }),
    };
    const state: TrainingState = { json, inputUrl, received, downloadError, polls: 0, webhookDeliveries: [], lastCompleted: null, timer: null };
    this.trainings.set(id, state);
    this.order.push(id);
    this.log(`training ${id} for ${body.destination}: ${received ? `${received.imageHashes.length} images received` : `input unusable (${downloadError})`}`);
    const afterMs = this.knobs.autoComplete?.afterMs;
    if (afterMs !== undefined) {
      state.timer = setTimeout(() => {
        state.timer = null;
        this.finishInBackground(id);
      }, afterMs);
    }
    return structuredClone(json);
  }

  /** A poll: moves a training along, and finishes it when auto-completion says so. */
  pollTraining(id: string): TrainingJson | null {
    const state = this.trainings.get(id);
    if (!state) return null;
    state.polls += 1;
    if (!TERMINAL.has(state.json.status)) {
      const afterPolls = this.knobs.autoComplete?.afterPolls;
      if (afterPolls !== undefined && state.polls >= afterPolls) this.finishInBackground(id);
      else this.markProcessing(state);
    }
    return structuredClone(state.json);
  }

  listTrainings(): TrainingJson[] {
    return [...this.order].reverse().map((id) => structuredClone(this.trainings.get(id)!.json));
  }

  cancelTraining(id: string): TrainingJson | null {
    const state = this.trainings.get(id);
    if (!state) return null;
    if (!TERMINAL.has(state.json.status)) this.track(this.finish(id, 'canceled').then(() => undefined));
    return structuredClone(state.json);
  }

  private markProcessing(state: TrainingState): void {
    if (state.json.status === 'starting') {
      state.json.status = 'processing';
      state.json.started_at = this.now().toISOString();
    }
  }

  private finishInBackground(id: string): void {
    const outcome: Outcome = this.knobs.failTrainings ? 'failed' : 'succeeded';
    this.track(this.finish(id, outcome).then(() => undefined));
  }

  /**
   * Ends a training now (a success with an unusable input ends `failed`, as it would at
   * Replicate), then sends the completed webhook. Resolves once delivery is over.
   */
  async finish(id: string, outcome: Outcome, error?: string): Promise<TrainingJson> {
    const state = this.trainings.get(id);
    if (!state) throw new Error(`simulator: no training ${id}`);
    if (TERMINAL.has(state.json.status)) return structuredClone(state.json);
    if (state.timer) clearTimeout(state.timer);
    this.markProcessing(state);
    const json = state.json;
    const effective: Outcome = outcome === 'succeeded' && !state.received ? 'failed' : outcome;
    json.status = effective;
    json.completed_at = this.now().toISOString();
    json.metrics = { predict_time: 1 };
    if (effective === 'succeeded' && state.received) {
      const hash = versionHash(state.received.imageHashes);
      const model = this.models.get(json.destination);
      if (model && !model.versions.some((v) => v.id === hash)) model.versions.unshift(this.versionJson(hash));
      json.output = { version: `${json.destination}:${hash}`, weights: `${this.origin()}/weights/${id}.tar` };
    } else if (effective === 'failed') {
      json.error = error ?? state.downloadError ?? 'simulated training failure';
    }
    this.log(`training ${id} ${effective}${json.output ? ` -> ${json.output.version}` : ''}`);
    await this.sendCompleted(state);
    return structuredClone(json);
  }

  private async sendCompleted(state: TrainingState): Promise<void> {
    const { webhook, webhook_events_filter: filter } = state.json;
    if (webhook === undefined || (filter !== undefined && !filter.includes('completed'))) return;
    state.lastCompleted = newWebhookMessage(webhook, state.json);
    await this.deliver(state, state.lastCompleted);
  }

  /** Sends the completed webhook again with the same `webhook-id`, as a redelivery does. */
  async redeliver(id: string): Promise<void> {
    const state = this.trainings.get(id);
    if (!state?.lastCompleted) throw new Error(`simulator: training ${id} has no completed webhook to redeliver`);
    await this.deliver(state, state.lastCompleted);
  }

  private deliver(state: TrainingState, message: WebhookMessage): Promise<void> {
    const options = { retries: this.knobs.webhookRetries, backoffMs: this.knobs.webhookBackoffMs, lost: this.knobs.loseWebhooks };
    const attemptsBefore = state.webhookDeliveries.filter((d) => d.webhookId === message.webhookId).length;
    const delivery = this.sender.deliver(message, options, (attempt) => {
      state.webhookDeliveries.push({ ...attempt, attempt: attempt.attempt + attemptsBefore });
      this.log(`webhook ${attempt.webhookId} for ${state.json.id}: ${attempt.lost ? 'lost (knob)' : `answered ${String(attempt.status)}`}`);
    });
    this.track(delivery);
    return delivery;
  }

  private track(task: Promise<void>): void {
    const tracked = task.catch((cause: unknown) => this.log(`background task failed: ${String(cause)}`));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  /** Resolves when every background completion and webhook delivery has finished. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  record(id: string): TrainingRecord | null {
    const state = this.trainings.get(id);
    if (!state) return null;
    const triggerWord = state.json.input['trigger_word'];
    return {
      id,
      destination: state.json.destination,
      inputUrl: state.inputUrl,
      triggerWord: typeof triggerWord === 'string' ? triggerWord : null,
      entries: state.received?.entries ?? [],
      imageHashes: state.received?.imageHashes ?? [],
      downloadError: state.downloadError,
      polls: state.polls,
      webhookDeliveries: [...state.webhookDeliveries],
      training: structuredClone(state.json),
    };
  }

  records(): TrainingRecord[] {
    return this.order.map((id) => this.record(id)!);
  }

  close(): void {
    for (const state of this.trainings.values()) if (state.timer) clearTimeout(state.timer);
  }
}
