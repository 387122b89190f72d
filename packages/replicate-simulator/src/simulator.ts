import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultKnobs, type Knobs, type RequestInfo, type Tamper } from './knobs.js';
import { createModelBody, createTrainingBody, problem, type PageJson, type TrainingJson } from './shapes.js';
import { SimulatedReplicate, type Outcome, type TrainingRecord } from './simulated-replicate.js';
import { WebhookSender } from './webhooks.js';

export interface SimulatorOptions {
  /** 0 (default) picks a free port. The server listens on 127.0.0.1 only. */
  readonly port?: number;
  /** `whsec_...`: the secret webhooks are signed with. */
  readonly webhookSecret: string;
  /** The bearer token every request must carry (default `r8_simulated`). */
  readonly apiToken?: string;
  /** When set, models and destinations may only be created under this account (else 403). */
  readonly account?: string;
  readonly knobs?: Partial<Knobs>;
  /** Clock for timestamps and webhook signatures (default: wall clock). */
  readonly now?: () => Date;
  /** Log sink; every line is labelled as simulated. Default: silent. */
  readonly log?: (line: string) => void;
}

export interface SimulatorControl {
  /** Current knobs; change them with `setKnobs`. */
  readonly knobs: Readonly<Knobs>;
  setKnobs(changes: Partial<Knobs>): void;
  /** Rewrites the JSON body of the next `times` successful responses that match. */
  tamper(rule: { match?: (request: RequestInfo) => boolean; rewrite: (body: unknown) => unknown; times?: number }): void;
  /** Ends a training now and sends its completed webhook; resolves after delivery (and retries). */
  complete(trainingId: string): Promise<TrainingJson>;
  fail(trainingId: string, error?: string): Promise<TrainingJson>;
  cancel(trainingId: string): Promise<TrainingJson>;
  /** Sends the completed webhook again, same `webhook-id`. */
  redeliver(trainingId: string): Promise<void>;
  training(trainingId: string): TrainingRecord | null;
  trainings(): TrainingRecord[];
  /**
   * Adds a version that no training produced to a destination (`owner/name`), creating the
   * model when missing; returns `owner/name:id`. Trainings made out of band need no knob: make
   * them through the HTTP API, e.g. with the `replicate` client.
   */
  plantVersion(destination: string, versionId?: string): string;
  /** @deprecated The former name of `plantVersion`. */
  injectVersion(destination: string, versionId?: string): string;
  /** Someone else has run this version (`owner/name:id`): Replicate then refuses to delete it. */
  markRunByOthers(version: string): void;
  /** Every request received, in order. */
  readonly requests: readonly (RequestInfo & { readonly status: number })[];
  /** Resolves when background completions and webhook deliveries are done. */
  settled(): Promise<void>;
}

export interface RunningSimulator {
  /** `http://127.0.0.1:<port>/v1`, what `REPLICATE_BASE_URL` / the client's `baseUrl` takes. */
  readonly baseUrl: string;
  readonly control: SimulatorControl;
  close(): Promise<void>;
}

const LABEL = '[replicate-simulator: SIMULATED, not api.replicate.com]';

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The parsed JSON body, or the 400 answer for one that is not JSON. */
function parseJson(text: string): { json: unknown } | HttpAnswer {
  try {
    return { json: text.length === 0 ? {} : (JSON.parse(text) as unknown) };
  } catch {
    return new HttpAnswer(400, problem(400, 'Invalid JSON', 'The request body is not valid JSON.'));
  }
}

/**
 * One page of a most-recent-first list that only grows at its front. The cursor counts items
 * from the oldest end (a page holds the items older than it), so items created while a client
 * pages through neither shift nor repeat what it has still to read, as Replicate's cursors.
 */
function page<T>(items: T[], url: URL, origin: string, pageSize: number): PageJson<T> {
  const requested = Number.parseInt(url.searchParams.get('cursor') ?? '', 10);
  const before = Number.isNaN(requested) ? items.length : Math.min(Math.max(0, requested), items.length);
  const start = items.length - before;
  const at = (n: number) => `${origin}${url.pathname}?cursor=${n}`;
  return {
    next: before - pageSize > 0 ? at(before - pageSize) : null,
    previous: before < items.length ? at(Math.min(items.length, before + pageSize)) : null,
    results: items.slice(start, start + pageSize),
  };
}

/**
 * Starts a simulator of the Replicate HTTP API on loopback (dev/test only): models, versions,
 * trainings and signed completed webhooks, with fault knobs.
 */
export async function startReplicateSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const knobs: Knobs = { ...defaultKnobs, ...options.knobs };
  const apiToken = options.apiToken ?? 'r8_simulated';
  const now = options.now ?? (() => new Date());
  const log = (line: string) => options.log?.(`${LABEL} ${line}`);
  const tampers: Tamper[] = [];
  const requests: (RequestInfo & { status: number })[] = [];
  let origin = '';
  const sender = new WebhookSender(options.webhookSecret, now);
  const sim = new SimulatedReplicate(knobs, sender, now, () => origin, log);

  const notFound = (what: string) => new HttpAnswer(404, problem(404, 'Not found', `${what} was not found.`));
  const forbidden = (owner: string) =>
    new HttpAnswer(403, problem(403, 'Forbidden', `This token cannot create models under "${owner}".`));

  // Replicate answers a deletion with no body: 204 for a model, 202 for a version (deleted asynchronously).
  const deletion = (outcome: 'deleted' | 'absent' | { refused: string }, status: number, what: string) =>
    outcome === 'deleted'
      ? new HttpAnswer(status, undefined)
      : outcome === 'absent'
        ? notFound(what)
        : new HttpAnswer(409, problem(409, 'Conflict', outcome.refused));

  async function route(method: string, url: URL, text: string): Promise<HttpAnswer> {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'v1') return notFound('The route');
    const [, resource, a, b, c, d, e] = parts;
    const count = parts.length;
    if (resource === 'models') {
      if (method === 'POST' && count === 2) {
        const body = parseJson(text);
        if (body instanceof HttpAnswer) return body;
        const parsed = createModelBody.safeParse(body.json);
        if (!parsed.success) return new HttpAnswer(422, problem(422, 'Invalid model', parsed.error.message));
        if (options.account !== undefined && parsed.data.owner !== options.account) return forbidden(parsed.data.owner);
        const created = sim.createModel(parsed.data);
        return created
          ? new HttpAnswer(201, created)
          : new HttpAnswer(409, problem(409, 'Conflict', `A model named ${parsed.data.owner}/${parsed.data.name} already exists.`));
      }
      if (method === 'GET' && count === 4) {
        const model = sim.getModel(a!, b!);
        return model ? new HttpAnswer(200, model) : notFound(`Model ${a}/${b}`);
      }
      if (method === 'DELETE' && count === 4) return deletion(sim.deleteModel(a!, b!), 204, `Model ${a}/${b}`);
      if (method === 'DELETE' && count === 6 && c === 'versions') return deletion(sim.deleteVersion(a!, b!, d!), 202, `Version ${a}/${b}:${d}`);
      if (method === 'GET' && count === 5 && c === 'versions') {
        const versions = sim.versions(a!, b!);
        return versions ? new HttpAnswer(200, page(versions, url, origin, knobs.pageSize)) : notFound(`Model ${a}/${b}`);
      }
      if (method === 'POST' && count === 7 && c === 'versions' && e === 'trainings') {
        const body = parseJson(text);
        if (body instanceof HttpAnswer) return body;
        const parsed = createTrainingBody.safeParse(body.json);
        if (!parsed.success) return new HttpAnswer(422, problem(422, 'Invalid training', parsed.error.message));
        const destination = parsed.data.destination;
        const [destOwner = '', destName = ''] = destination.split('/');
        if (options.account !== undefined && destOwner !== options.account) return forbidden(destOwner);
        if (!sim.getModel(destOwner, destName)) {
          return new HttpAnswer(404, problem(404, 'Invalid destination', `The destination model ${destination} does not exist.`));
        }
        return new HttpAnswer(201, await sim.createTraining({ owner: a!, name: b!, version: d! }, parsed.data));
      }
    }
    if (resource === 'trainings') {
      if (method === 'GET' && count === 2) return new HttpAnswer(200, page(sim.listTrainings(), url, origin, knobs.pageSize));
      if (method === 'GET' && count === 3) {
        const training = sim.pollTraining(a!);
        return training ? new HttpAnswer(200, training) : notFound(`Training ${a}`);
      }
      if (method === 'POST' && count === 4 && b === 'cancel') {
        const training = sim.cancelTraining(a!);
        return training ? new HttpAnswer(200, training) : notFound(`Training ${a}`);
      }
    }
    return notFound('The route');
  }

  // The body is read before any simulated slowness, as a real server would have it in hand.
  async function answer(request: IncomingMessage, info: RequestInfo): Promise<HttpAnswer> {
    const text = await readBody(request);
    const faulty = knobs.faultsOn?.(info) ?? true;
    if (faulty && knobs.delayMs > 0) await sleep(knobs.delayMs);
    if (faulty && knobs.serverErrors > 0) {
      knobs.serverErrors -= 1;
      return new HttpAnswer(503, problem(503, 'Service unavailable', 'Simulated server error.'));
    }
    if (faulty && knobs.rateLimited > 0) {
      knobs.rateLimited -= 1;
      return new HttpAnswer(429, problem(429, 'Too many requests', 'Request was throttled.'), { 'retry-after': knobs.rateLimitRetryAfter });
    }
    if (request.headers.authorization !== `Bearer ${apiToken}`) {
      return new HttpAnswer(401, problem(401, 'Unauthenticated', 'You did not pass a valid authentication token.'));
    }
    const result = route(request.method ?? 'GET', new URL(request.url ?? '/', origin), text);
    if (faulty && knobs.holdAnswerMs > 0) await sleep(knobs.holdAnswerMs);
    return result;
  }

  function send(response: ServerResponse, info: RequestInfo, result: HttpAnswer): void {
    if (result.body === undefined) {
      response.writeHead(result.status, result.headers);
      response.end();
      return;
    }
    let body = JSON.stringify(result.body);
    const ok = result.status >= 200 && result.status < 300;
    if (ok) {
      const tamper = tampers.find((t) => t.times > 0 && t.match(info));
      if (tamper) {
        tamper.times -= 1;
        body = JSON.stringify(tamper.rewrite(JSON.parse(body)));
      }
      if (knobs.malformedJson > 0) {
        knobs.malformedJson -= 1;
        body = body.slice(0, Math.max(1, Math.floor(body.length / 2)));
      }
    }
    const type = ok ? 'application/json' : 'application/problem+json';
    response.writeHead(result.status, { 'content-type': type, ...result.headers });
    response.end(body);
  }

  const server = createServer((request, response) => {
    const info: RequestInfo = { method: request.method ?? 'GET', path: (request.url ?? '/').split('?')[0]! };
    answer(request, info)
      .catch((cause: unknown) => {
        log(`internal error: ${String(cause)}`);
        return new HttpAnswer(500, problem(500, 'Internal error', String(cause)));
      })
      .then((result) => {
        requests.push({ ...info, status: result.status });
        send(response, info, result);
      })
      .catch(() => response.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  log(`listening on ${origin}/v1`);

  const finish = (id: string, outcome: Outcome, error?: string) => sim.finish(id, outcome, error);
  const control: SimulatorControl = {
    knobs,
    setKnobs: (changes) => Object.assign(knobs, changes),
    tamper: (rule) => tampers.push({ match: rule.match ?? (() => true), rewrite: rule.rewrite, times: rule.times ?? 1 }),
    complete: (id) => finish(id, 'succeeded'),
    fail: (id, error) => finish(id, 'failed', error ?? 'simulated training failure'),
    cancel: (id) => finish(id, 'canceled'),
    redeliver: (id) => sim.redeliver(id),
    training: (id) => sim.record(id),
    trainings: () => sim.records(),
    plantVersion: (destination, versionId) => sim.plantVersion(destination, versionId),
    markRunByOthers: (version) => sim.markRunByOthers(version),
    injectVersion: (destination, versionId) => sim.plantVersion(destination, versionId),
    requests,
    settled: () => sim.settled(),
  };

  return {
    baseUrl: `${origin}/v1`,
    control,
    close: async () => {
      sim.close();
      sender.close();
      await sim.settled();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      log('stopped');
    },
  };
}
