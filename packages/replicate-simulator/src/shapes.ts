import { z } from 'zod';

// Replicate-shaped JSON (https://replicate.com/docs/reference/http): the fields the real API
// returns for models, versions and trainings, so the adapter's schemas meet the real shapes.

export type TrainingStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';
export type WebhookEvent = 'start' | 'output' | 'logs' | 'completed';

export interface TrainingJson {
  id: string;
  /** The trainer model (`owner/name`) and version that ran, as Replicate reports them. */
  model: string;
  version: string;
  destination: string;
  input: Record<string, unknown>;
  output: { version: string; weights: string } | null;
  logs: string;
  error: string | null;
  status: TrainingStatus;
  source: 'api';
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  urls: { get: string; cancel: string };
  webhook?: string;
  webhook_events_filter?: WebhookEvent[];
  metrics?: { predict_time: number };
}

export interface VersionJson {
  id: string;
  created_at: string;
  cog_version: string;
  openapi_schema: null;
}

export interface ModelJson {
  url: string;
  owner: string;
  name: string;
  description: string | null;
  visibility: 'public' | 'private';
  github_url: null;
  paper_url: null;
  license_url: null;
  run_count: number;
  cover_image_url: null;
  default_example: null;
  latest_version: VersionJson | null;
}

export interface PageJson<T> {
  next: string | null;
  previous: string | null;
  results: T[];
}

export const modelName = /^[a-z0-9][a-z0-9._-]{0,99}$/i;

export const createModelBody = z.object({
  owner: z.string().regex(modelName),
  name: z.string().regex(modelName),
  visibility: z.enum(['public', 'private']),
  hardware: z.string().min(1),
  description: z.string().optional(),
});

export const createTrainingBody = z.object({
  destination: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}\/[a-z0-9][a-z0-9._-]{0,99}$/i),
  input: z.looseObject({ input_images: z.url(), trigger_word: z.string().optional() }),
  webhook: z.url().optional(),
  webhook_events_filter: z.array(z.enum(['start', 'output', 'logs', 'completed'])).optional(),
});
export type CreateTrainingBody = z.infer<typeof createTrainingBody>;

/** Replicate answers errors as problem details. */
export function problem(status: number, title: string, detail: string): { title: string; detail: string; status: number } {
  return { title, detail, status };
}
