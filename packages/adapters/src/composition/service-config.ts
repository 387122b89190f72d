import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';

const optional = z
  .string()
  .transform((value) => value.trim())
  .pipe(z.string())
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const positiveInt = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < 1) {
        ctx.addIssue({ code: 'custom', message: `must be a positive whole number, got "${value}"` });
        return z.NEVER;
      }
      return parsed;
    });

const url = z.url({ message: 'must be an absolute URL' });
const bool = z.enum(['true', 'false'], { message: 'must be "true" or "false"' }).transform((value) => value === 'true');

/** The environment the service reads (SPEC.md "Configuration"); names are the variables. */
const EnvSchema = z.object({
  DATABASE_URL: optional.pipe(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional()),
  S3_ENDPOINT: optional.pipe(url.optional()),
  S3_REGION: optional,
  S3_BUCKET: optional.pipe(z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid bucket name').optional()),
  S3_ACCESS_KEY_ID: optional,
  S3_SECRET_ACCESS_KEY: optional,
  S3_FORCE_PATH_STYLE: optional.pipe(bool.optional()),
  S3_CHECKSUM_MODE: optional.pipe(z.enum(['when_required', 'when_supported'], { message: 'must be when_required or when_supported' }).optional()),
  REPLICATE_API_TOKEN: optional,
  REPLICATE_BASE_URL: optional.pipe(url.optional()),
  REPLICATE_TRAINER: optional.pipe(
    z.string().regex(/^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*:[a-zA-Z0-9]+$/, 'must be owner/name:version').optional(),
  ),
  REPLICATE_DESTINATION_OWNER: optional.pipe(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be a Replicate account name').optional()),
  REPLICATE_DESTINATION_STRATEGY: optional.pipe(z.enum(['per-owner', 'shared'], { message: 'must be per-owner or shared' }).optional()),
  REPLICATE_SHARED_MODEL: optional.pipe(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be a valid model name').optional()),
  REPLICATE_WEBHOOK_SECRET: optional.pipe(z.string().startsWith('whsec_', 'must start with whsec_').optional()),
  PUBLIC_BASE_URL: optional.pipe(url.optional()),
  AUTH_JWT_SECRET: optional.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  ADMIN_TOKEN: optional.pipe(z.string().min(24, 'must be at least 24 characters').optional()),
  TRAINING_MIN_PHOTOS: positiveInt(10),
  TRAINING_POLL_INTERVAL_MS: positiveInt(15_000),
  AUDIT_STUCK_AFTER_MINUTES: positiveInt(24 * 60),
  AUDIT_GRACE_MINUTES: positiveInt(60),
  HOST: optional,
  PORT: positiveInt(3000).pipe(z.number().max(65_535, 'must be at most 65535')),
});

export type Env = z.infer<typeof EnvSchema>;

export interface ConfigError {
  readonly variable: string;
  readonly message: string;
}

/** Groups of variables that only make sense together: all set (real service) or none (embedded). */
const GROUPS: Readonly<Record<string, readonly (keyof Env)[]>> = {
  S3: ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'],
  Replicate: ['REPLICATE_API_TOKEN', 'REPLICATE_TRAINER', 'REPLICATE_DESTINATION_OWNER', 'REPLICATE_WEBHOOK_SECRET', 'PUBLIC_BASE_URL'],
};

/**
 * Validates the environment at start-up. Every problem names its variable; a half-configured
 * service (some S3 or Replicate variables set, others missing) is refused rather than guessed.
 */
export function parseEnv(env: Readonly<Record<string, string | undefined>>): Result<Env, readonly ConfigError[]> {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    return err(parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '(environment)'), message: issue.message })));
  }
  const missing: ConfigError[] = [];
  for (const [service, names] of Object.entries(GROUPS)) {
    const set = names.filter((name) => parsed.data[name] !== undefined);
    if (set.length > 0 && set.length < names.length) {
      for (const name of names.filter((n) => parsed.data[n] === undefined)) {
        missing.push({ variable: name, message: `is required when ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set (${service})` });
      }
    }
  }
  return missing.length > 0 ? err(missing) : ok(parsed.data);
}

export function describeConfigErrors(errors: readonly ConfigError[]): string {
  return ['Invalid configuration:', ...errors.map((e) => `  ${e.variable} ${e.message}`)].join('\n');
}
