import { createHash, createHmac } from 'node:crypto';
import { JWT_SECRET } from './service.js';

// Shapes of the contract (SPEC.md "HTTP shell contract"), as far as the tests read them.
export interface UploadJson {
  readonly id: string;
  readonly status: string;
  readonly sha256: string;
  readonly sourceSha256: string;
  readonly byteSize: number;
  readonly contentType: string;
  readonly width: number;
  readonly height: number;
  readonly checks: readonly { readonly name: string; readonly outcome: string; readonly message: string }[];
}
export interface PendingUploadJson {
  readonly id: string;
  readonly status: 'checking' | 'refused';
  readonly sourceSha256: string;
  readonly refusal: { readonly code: string; readonly message: string } | null;
}
export interface ModelJson {
  readonly id: string;
  readonly trainingId: string;
  readonly destination: string;
  readonly version: string;
  readonly status: string;
  readonly trainingSet: readonly { readonly uploadId: string; readonly sha256: string }[];
}
export interface TrainingJson {
  readonly id: string;
  readonly status: string;
  readonly steps: readonly { readonly name: string; readonly status: string; readonly evidence: unknown }[];
  readonly failure: { readonly step: string; readonly code: string; readonly message: string } | null;
  readonly model: ModelJson | null;
}
export interface Answer<T = Record<string, unknown>> {
  readonly status: number;
  readonly contentType: string;
  readonly body: T;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** An HS256 bearer JWT for `sub` (node:crypto HMAC: the test workspace does not depend on jose). */
export function tokenFor(sub: string, secret = JWT_SECRET): string {
  const now = Math.floor(Date.now() / 1000);
  const signingInput = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify({ sub, iat: now, exp: now + 3600 }))}`;
  return `${signingInput}.${base64url(createHmac('sha256', secret).update(signingInput).digest())}`;
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** One owner talking to the service over real HTTP with plain fetch. */
export class Client {
  private readonly token: string;

  constructor(
    private readonly url: string,
    readonly owner: string,
  ) {
    this.token = tokenFor(owner);
  }

  async request<T = Record<string, unknown>>(method: string, path: string, init: { json?: unknown; form?: FormData } = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    let body: string | FormData | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.form) body = init.form;
    const response = await fetch(`${this.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: (text ? JSON.parse(text) : {}) as T };
  }

  /** POST /v1/uploads with the bytes in the multipart field `file`. */
  upload(bytes: Uint8Array, name = 'selfie.jpg'): Promise<Answer<{ upload: UploadJson; pending?: PendingUploadJson; code?: string }>> {
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'image/jpeg' }), name);
    return this.request('POST', '/v1/uploads', { form });
  }

  /** Photos received and still checking, or refused after the answer (PHOTO_CHECKS_AFTER_ANSWER). */
  async pending(): Promise<PendingUploadJson[]> {
    return (await this.request<{ pending: PendingUploadJson[] }>('GET', '/v1/uploads')).body.pending;
  }

  async uploads(): Promise<UploadJson[]> {
    return (await this.request<{ uploads: UploadJson[] }>('GET', '/v1/uploads')).body.uploads;
  }

  startTraining(body: { readonly uploadIds?: readonly string[] } = {}): Promise<Answer<{ training: TrainingJson; code?: string; detail?: string }>> {
    return this.request('POST', '/v1/trainings', { json: body });
  }

  async training(id: string): Promise<TrainingJson> {
    const answer = await this.request<{ training: TrainingJson }>('GET', `/v1/trainings/${id}`);
    if (answer.status !== 200) throw new Error(`GET /v1/trainings/${id} answered ${answer.status}`);
    return answer.body.training;
  }

  async models(): Promise<ModelJson[]> {
    return (await this.request<{ models: ModelJson[] }>('GET', '/v1/models')).body.models;
  }
}

/** The trainer's id for a training, from its `submit` step's evidence (undefined until submitted). */
export function trainerIdOf(training: TrainingJson): string | undefined {
  const evidence = training.steps.find((step) => step.name === 'submit')?.evidence;
  return typeof evidence === 'object' && evidence !== null && 'trainerTrainingId' in evidence ? String(evidence.trainerTrainingId) : undefined;
}
