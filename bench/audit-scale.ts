// `npm run bench:audit`: the audit over many owners (issue 16). Owners' rows are made directly in
// a scratch Postgres database (one multi-row INSERT ... SELECT per chunk), their photos in a local
// S3 server (s3rver in a child process, tiny objects); then `auditIntegrity` runs over Postgres and S3 as the service
// wires them, a batch of owners at a time, and the bench prints its time and peak RSS. Three
// violations are planted so a clean report is not mistaken for a run that looked at nothing.
// See docs/benchmarks.md "Audit on many owners".
//   BENCH_AUDIT_OWNERS=10000,100000   owner counts, one scratch database and bucket each
//   BENCH_AUDIT_PHOTOS=1               stored photos per owner
//   BENCH_AUDIT_BATCH=200              owners per batch (AUDIT_OWNERS_PER_BATCH)
//   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import { AUDIT_OWNERS_PER_BATCH, auditIntegrity, OwnerId, UploadId, uploadKey, type AuditReport, type CoreDeps } from '@selfie-lora/core';
import { createMemoryCore } from '@selfie-lora/adapters/memory';
import { createPostgresDatabase } from '@selfie-lora/adapters/postgres';
import { connectS3, S3ObjectStore } from '@selfie-lora/adapters/s3';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { measureRss, type RssReading } from './rss.js';

const SERVER_URL = process.env['BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const OWNER_COUNTS = (process.env['BENCH_AUDIT_OWNERS'] ?? '10000').split(',').map((n) => Number.parseInt(n, 10));
const PHOTOS = Number.parseInt(process.env['BENCH_AUDIT_PHOTOS'] ?? '1', 10);
const BATCH = Number.parseInt(process.env['BENCH_AUDIT_BATCH'] ?? String(AUDIT_OWNERS_PER_BATCH), 10);
const RESULTS = fileURLToPath(new URL('../../../reports/bench-audit.json', import.meta.url));
const BUCKET = 'bench-audit';
const BYTES = 16;
const PUTS_AT_ONCE = 32;
const HOUR = 3_600_000;
const S3_SERVER = fileURLToPath(new URL('./audit-s3-server.js', import.meta.url));

interface LocalS3Process {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  close(): Promise<void>;
}

/** s3rver in a child process (audit-s3-server.ts), so its memory is not the audit's. */
async function startS3Process(directory: string): Promise<LocalS3Process> {
  const child = fork(S3_SERVER, [directory, BUCKET], { stdio: 'inherit' });
  const [started] = (await once(child, 'message')) as [Omit<LocalS3Process, 'close'>];
  return {
    ...started,
    close: async () => {
      child.send('close');
      await once(child, 'exit');
    },
  };
}

const ownerAt = (i: number) => OwnerId.parse(`owner-${String(i).padStart(7, '0')}`)._unsafeUnwrap();
const photoAt = (owner: number, photo: number) => UploadId.parse(`photo-${String(owner).padStart(7, '0')}-${photo}`)._unsafeUnwrap();

interface Run {
  readonly owners: number;
  readonly photos: number;
  readonly batch: number;
  readonly setupSeconds: { readonly rows: number; readonly objects: number };
  readonly auditSeconds: number;
  readonly rss: RssReading;
  readonly scanned: AuditReport['scanned'];
  readonly violations: readonly string[];
}

async function onServer(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** Every owner's photo rows, 10,000 owners per statement, made by the server (no row crosses the wire). */
async function makeRows(url: string, owners: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const CHUNK = 10_000;
    for (let from = 0; from < owners; from += CHUNK) {
      await client.query(
        `INSERT INTO uploads (id, owner_id, status, content_type, byte_size, sha256, source_sha256, width, height, created_at, revision)
         SELECT 'photo-' || lpad(o::text, 7, '0') || '-' || p, 'owner-' || lpad(o::text, 7, '0'), 'stored', 'image/jpeg', $3,
                encode(sha256(convert_to(o || '/' || p, 'UTF8')), 'hex'), encode(sha256(convert_to(o || '/' || p, 'UTF8')), 'hex'),
                512, 512, now() - interval '3 hours', 0
         FROM generate_series($1::int, $2::int) AS o, generate_series(0, $4::int - 1) AS p`,
        [from, Math.min(from + CHUNK, owners) - 1, BYTES, PHOTOS],
      );
    }
  } finally {
    await client.end();
  }
}

async function runAt(owners: number): Promise<Run> {
  const database = `bench_audit_${randomBytes(4).toString('hex')}`;
  await onServer(`CREATE DATABASE ${database}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${database}`;
  const directory = await mkdtemp(join(tmpdir(), 'bench-audit-s3-'));
  const local = await startS3Process(directory);
  const db = await createPostgresDatabase({ url: url.toString(), poolSize: 4 }).match(
    (opened) => opened,
    (error) => {
      throw new Error(`could not open ${database}: ${error.code} ${error.detail ?? ''}`);
    },
  );
  const s3 = connectS3({
    endpoint: local.endpoint,
    region: local.region,
    bucket: BUCKET,
    accessKeyId: local.credentials.accessKeyId,
    secretAccessKey: local.credentials.secretAccessKey,
    forcePathStyle: true,
    checksumMode: 'when_required',
  });
  try {
    let started = performance.now();
    await makeRows(url.toString(), owners);
    const rowsSeconds = (performance.now() - started) / 1000;

    started = performance.now();
    const body = new Uint8Array(BYTES);
    const keys = Array.from({ length: owners * PHOTOS }, (_, n) => uploadKey(ownerAt(Math.floor(n / PHOTOS)), photoAt(Math.floor(n / PHOTOS), n % PHOTOS)));
    // Planted: the first owner's photo is gone, a middle owner has an object no row accounts for,
    // and one object sits under the prefix of nobody we know.
    const middle = Math.floor(owners / 2);
    const missing = keys.shift()!;
    keys.push(uploadKey(ownerAt(middle), UploadId.parse('ghost')._unsafeUnwrap()), uploadKey(OwnerId.parse('nobody')._unsafeUnwrap(), UploadId.parse('stray')._unsafeUnwrap()));
    for (let next = 0; next < keys.length; next += PUTS_AT_ONCE) {
      await Promise.all(keys.slice(next, next + PUTS_AT_ONCE).map((Key) => s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: body }))));
    }
    const objectsSeconds = (performance.now() - started) / 1000;
    console.log(`${owners} owners: rows ${rowsSeconds.toFixed(1)} s, ${keys.length} objects ${objectsSeconds.toFixed(1)} s (${missing} left out)`);

    // The memory trainer lists nothing: the trainer's side is not what grows with owners here.
    const core = createMemoryCore();
    const deps: CoreDeps = {
      ...core.deps,
      uow: db,
      objects: new S3ObjectStore(s3),
      // Two hours on: every row and object is past the grace and judged.
      clock: { now: () => new Date(Date.now() + 2 * HOUR) },
    };
    const policy = { stuckAfterMs: 24 * HOUR, graceMs: HOUR, webhookUrl: null };
    started = performance.now();
    const { value: report, rss } = await measureRss(async () =>
      (await auditIntegrity(deps, { policy, quarantine: false, ownersPerBatch: BATCH })).match(
        (r) => r,
        (error) => {
          throw new Error(`the audit failed: ${error.code}: ${error.detail ?? error.message}`);
        },
      ),
    );
    const auditSeconds = (performance.now() - started) / 1000;
    const violations = report.violations.map((v) => `${v.kind} ${'key' in v ? v.key : ''}`);
    return { owners, photos: PHOTOS, batch: BATCH, setupSeconds: { rows: rowsSeconds, objects: objectsSeconds }, auditSeconds, rss, scanned: report.scanned, violations };
  } finally {
    s3.client.destroy();
    await db.close().match(
      () => undefined,
      (error) => console.error(`closing ${database}: ${error.code}`),
    );
    await local.close();
    await rm(directory, { recursive: true, force: true });
    await onServer(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

const MiB = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${MiB(totalmem())} MiB, Linux ${release()}; ${PHOTOS} photo(s) per owner, ${BATCH} owners per batch`);
  const runs: Run[] = [];
  for (const owners of OWNER_COUNTS) {
    const run = await runAt(owners);
    runs.push(run);
    console.log(
      `${owners} owners: audit ${run.auditSeconds.toFixed(1)} s, peak RSS ${MiB(run.rss.peak)} MiB (growth ${MiB(run.rss.growth)} MiB, ${run.rss.source}), ` +
        `scanned ${JSON.stringify(run.scanned)}, violations ${JSON.stringify(run.violations)}`,
    );
    if (run.violations.length !== 3) throw new Error(`expected the 3 planted violations, found ${run.violations.length}`);
  }
  await mkdir(new URL('.', `file://${RESULTS}`), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify({ at: new Date().toISOString(), runs }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
