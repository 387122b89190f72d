/** Faults and behaviours a test can turn on; every knob is off by default. */
export interface Knobs {
  /** Trainings end `failed` instead of `succeeded`. */
  failTrainings: boolean;
  /** The next N requests answer 503. */
  serverErrors: number;
  /** The next N requests answer 429 with `retry-after`. */
  rateLimited: number;
  /** The `retry-after` header of those 429s (seconds or an HTTP date). */
  rateLimitRetryAfter: string;
  /** Which requests `serverErrors`, `rateLimited`, `delayMs` and `holdAnswerMs` hit (default: every request). */
  faultsOn: ((request: RequestInfo) => boolean) | null;
  /** Every response waits this long first. */
  delayMs: number;
  /** The request is carried out, then its answer held back this long (a crash while the trainer answers). */
  holdAnswerMs: number;
  /** The next N successful responses carry a truncated (unparseable) JSON body. */
  malformedJson: number;
  /** Completed webhooks are recorded as lost and never sent. */
  loseWebhooks: boolean;
  /** Trainings finish by themselves after this many polls of `GET /v1/trainings/{id}`, or this long. */
  autoComplete: { readonly afterPolls?: number; readonly afterMs?: number } | null;
  /** Further attempts of a webhook answered non-2xx (same `webhook-id`), with backoff. */
  webhookRetries: number;
  webhookBackoffMs: number;
  /** Page size of the list endpoints (Replicate uses 100). */
  pageSize: number;
}

export const defaultKnobs: Knobs = {
  failTrainings: false,
  serverErrors: 0,
  rateLimited: 0,
  rateLimitRetryAfter: '1',
  faultsOn: null,
  delayMs: 0,
  holdAnswerMs: 0,
  malformedJson: 0,
  loseWebhooks: false,
  autoComplete: null,
  webhookRetries: 3,
  webhookBackoffMs: 20,
  pageSize: 100,
};

export interface RequestInfo {
  readonly method: string;
  readonly path: string;
}

/** Rewrites the JSON body of matching successful responses, e.g. to drop or mistype a field. */
export interface Tamper {
  readonly match: (request: RequestInfo) => boolean;
  readonly rewrite: (body: unknown) => unknown;
  times: number;
}
