import type { z } from 'zod';
import { ApiError, errorFromAnswer, unexpectedAnswer } from './api-error.js';
import {
  appConfigSchema,
  deleteAnswerSchema,
  demoSignInSchema,
  modelListSchema,
  trainingAnswerSchema,
  trainingListSchema,
  uploadListSchema,
  type AppConfig,
} from './schemas.js';

async function readAnswer<S extends z.ZodType>(answer: Response, schema: S, what: string): Promise<z.infer<S>> {
  const text = await answer.text();
  if (!answer.ok) throw errorFromAnswer(answer.status, text);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw unexpectedAnswer(what);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw unexpectedAnswer(what);
  return parsed.data;
}

async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch {
    throw errorFromAnswer(0, '');
  }
}

export async function loadAppConfig(): Promise<AppConfig> {
  return readAnswer(await send('/app-config.json', { headers: { accept: 'application/json' } }), appConfigSchema, 'its settings');
}

export async function demoSignIn(): Promise<z.infer<typeof demoSignInSchema>> {
  return readAnswer(await send('/v1/demo/sign-in', { method: 'POST' }), demoSignInSchema, 'signing in');
}

/** Calls that act for one signed-in owner (bearer token). */
export class ApiClient {
  constructor(readonly token: string) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.token}`, accept: 'application/json', ...extra };
  }

  /** The stored photos, and those the service is still checking or refused after answering. */
  async listPhotos() {
    const answer = await readAnswer(await send('/v1/uploads', { headers: this.headers() }), uploadListSchema, 'your photos');
    return { stored: answer.uploads.filter((upload) => upload.status === 'stored'), pending: answer.pending };
  }

  /** Forgets a photo the service refused (it was never stored): 204. */
  async dismissRefused(id: string): Promise<void> {
    const answer = await send(`/v1/uploads/${encodeURIComponent(id)}`, { method: 'DELETE', headers: this.headers() });
    if (answer.status !== 204) throw errorFromAnswer(answer.status, await answer.text());
  }

  async deleteUpload(id: string) {
    return readAnswer(
      await send(`/v1/uploads/${encodeURIComponent(id)}`, { method: 'DELETE', headers: this.headers() }),
      deleteAnswerSchema,
      'deleting a photo',
    );
  }

  /** The photo's bytes as a blob URL for an <img> (the caller revokes it). */
  async photoUrl(id: string): Promise<string> {
    const answer = await send(`/v1/uploads/${encodeURIComponent(id)}/content`, { headers: this.headers({ accept: 'image/*' }) });
    if (!answer.ok) throw errorFromAnswer(answer.status, await answer.text());
    return URL.createObjectURL(await answer.blob());
  }

  async listTrainings() {
    return (await readAnswer(await send('/v1/trainings', { headers: this.headers() }), trainingListSchema, 'your trainings')).trainings;
  }

  async getTraining(id: string) {
    const path = `/v1/trainings/${encodeURIComponent(id)}`;
    return (await readAnswer(await send(path, { headers: this.headers() }), trainingAnswerSchema, 'the training')).training;
  }

  /** `idempotencyKey` makes a repeated click (or a retry after a lost answer) the same training. */
  async startTraining(idempotencyKey: string) {
    const answer = await send('/v1/trainings', {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/json', 'idempotency-key': idempotencyKey }),
      body: '{}',
    });
    return (await readAnswer(answer, trainingAnswerSchema, 'starting the training')).training;
  }

  async cancelTraining(id: string) {
    const answer = await send(`/v1/trainings/${encodeURIComponent(id)}/cancel`, { method: 'POST', headers: this.headers() });
    return (await readAnswer(answer, trainingAnswerSchema, 'canceling the training')).training;
  }

  async restartTraining(id: string) {
    const answer = await send(`/v1/trainings/${encodeURIComponent(id)}/restart`, { method: 'POST', headers: this.headers() });
    return (await readAnswer(answer, trainingAnswerSchema, 'restarting the training')).training;
  }

  async listModels() {
    return (await readAnswer(await send('/v1/models', { headers: this.headers() }), modelListSchema, 'your models')).models;
  }
}

export { ApiError };
