/**
 * Variables that configure every service as a real one (no stand-in would be started), with no
 * AUTH_JWT_SECRET. The database is unreachable: a test that opens it sets its own DATABASE_URL.
 */
export const REAL_SERVICES = {
  DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
  S3_BUCKET: 'photos',
  S3_ACCESS_KEY_ID: 'a',
  S3_SECRET_ACCESS_KEY: 'b',
  REPLICATE_API_TOKEN: 'r8_x',
  REPLICATE_TRAINER: 'ostris/flux-dev-lora-trainer:abc123',
  REPLICATE_DESTINATION_OWNER: 'acme',
  REPLICATE_WEBHOOK_SECRET: 'whsec_c2VjcmV0',
  PUBLIC_BASE_URL: 'https://selfies.example.com',
} as const;
