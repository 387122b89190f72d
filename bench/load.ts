// `npm run bench:load`: the real service under load (issue 16). The service runs as `npm start`
// runs it (packages/http/dist/main.js: HTTP and one worker in one process) over a scratch
// Postgres database, a local S3 server and the Replicate simulator (trainings finish after
// BENCH_TRAIN_MS); extra workers are worker-main.js processes. See docs/benchmarks.md "Load".
//   BENCH_OWNERS=100          owners starting a training at once (10 photos each)
//   BENCH_WORKERS=1,2         worker processes to run the end-to-end stage with (each a run)
//   BENCH_INGEST_PHOTOS=120   photos of the ingest stage
//   BENCH_TRAIN_MS=1000       simulated training time
//   BENCH_SWEEP=on            TRAINING_SWEEP of the end-to-end runs: on, off, or both (on,off: each a run)
//   BENCH_NODE_ARGS="..."     extra Node flags for the service and worker processes (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof)
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import sharp from 'sharp';
import { freePort } from '../packages/local-stack/src/free-port.js';
import { startLocalS3 } from '../packages/local-stack/src/s3/local-s3-server.js';
import { startReplicateSimulator } from '../packages/replicate-simulator/src/index.js';

const SERVER_URL = process.env['BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const JWT_SECRET = randomBytes(32).toString('hex');
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const ACCOUNT = 'bench-account';
const PHOTOS_PER_OWNER = 10;
const CONCURRENCY = 8;
const MAIN = fileURLToPath(new URL('../../../packages/http/dist/main.js', import.meta.url));
const WORKER_MAIN = fileURLToPath(new URL('../../../packages/http/dist/worker-main.js', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../../reports/bench-load.json', import.meta.url));
const STAGES = ['verify_uploads', 'package', 'verify_package', 'submit', 'train'] as const;

const int = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};
const settings = {
  owners: int('BENCH_OWNERS', 100),
  ingestPhotos: int('BENCH_INGEST_PHOTOS', 120),
  trainMs: int('BENCH_TRAIN_MS', 1000),
  workers: (process.env['BENCH_WORKERS'] ?? '1,2').split(',').map((n) => Number(n.trim())),
  sweeps: (process.env['BENCH_SWEEP'] ?? 'on').split(',').map((v) => v.trim()),
};

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');
function tokenFor(sub: string): string {
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64(JSON.stringify({ sub, iat: now, exp: now + 3 * 3600 }))}`;
  return `${input}.${b64(createHmac('sha256', JWT_SECRET).update(input).digest())}`;
}

/** A distinct photo of about 90 KiB (420 x 420 random pixels): each unique, since the service dedups by hash. */
async function photo(): Promise<Buffer> {
  const side = 420;
  return sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } }).jpeg({ quality: 70 }).toBuffer();
}

/** Runs `work` over `items`, `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!, index);
      }
    }),
  );
  return results;
}

const quantile = (sorted: readonly number[], q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
const summary = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), max: sorted.at(-1) ?? 0 };
};

/** CPU seconds and peak RSS of a process, from /proc (Linux). */
async function procStats(pid: number): Promise<{ cpuSeconds: number; peakRssMiB: number }> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / 100, peakRssMiB: hwm / 1024 };
}

interface Stack {
  readonly env: Record<string, string>;
  readonly url: string;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly simulator: Awaited<ReturnType<typeof startReplicateSimulator>>;
  readonly database: string;
  close(): Promise<void>;
}

async function startStack(): Promise<Stack> {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  const database = `bench_load_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const dbUrl = new URL(SERVER_URL);
  dbUrl.pathname = `/${database}`;
  const directory = await mkdtemp(join(tmpdir(), 'bench-load-s3-'));
  const local = await startLocalS3({ directory });
  const simulator = await startReplicateSimulator({
    webhookSecret: WEBHOOK_SECRET,
    account: ACCOUNT,
    apiToken: 'r8_bench',
    knobs: { autoComplete: { afterMs: settings.trainMs } },
  });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const bucket = 'bench-photos';
  const env: Record<string, string> = {
    DATABASE_URL: dbUrl.toString(),
    S3_ENDPOINT: local.endpoint,
    S3_REGION: local.region,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: local.credentials.accessKeyId,
    S3_SECRET_ACCESS_KEY: local.credentials.secretAccessKey,
    S3_FORCE_PATH_STYLE: 'true',
    REPLICATE_API_TOKEN: 'r8_bench',
    REPLICATE_BASE_URL: simulator.baseUrl,
    REPLICATE_TRAINER: 'ostris/flux-dev-lora-trainer:bench0123456789',
    REPLICATE_DESTINATION_OWNER: ACCOUNT,
    REPLICATE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    PUBLIC_BASE_URL: url,
    AUTH_JWT_SECRET: JWT_SECRET,
    ADMIN_TOKEN: randomBytes(24).toString('hex'),
    TRAINING_MIN_PHOTOS: String(PHOTOS_PER_OWNER),
    TRAINING_POLL_INTERVAL_MS: '1000',
    QUOTA_STORED_PHOTOS: '100000',
    RATE_LIMIT_MAX: '1000000',
    FACE_CHECKS: 'off',
    // The end-to-end runs train right after uploading; the ingest runs set it each way.
    PHOTO_CHECKS_AFTER_ANSWER: 'off',
    HOST: '127.0.0.1',
    PORT: String(port),
  };
  const s3 = new S3Client({
    endpoint: local.endpoint,
    region: local.region,
    forcePathStyle: true,
    credentials: local.credentials,
  });
  return {
    env,
    url,
    s3,
    bucket,
    simulator,
    database,
    close: async () => {
      s3.destroy();
      await simulator.close();
      await local.close();
      await rm(directory, { recursive: true, force: true });
      const end = new pg.Client({ connectionString: SERVER_URL });
      await end.connect();
      await end.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await end.end();
    },
  };
}

/** Starts a service process (main.js) or a worker process (worker-main.js); resolves once it answers. */
async function startProcess(stack: Stack, entry: string, extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
  const nodeArgs = process.env['BENCH_NODE_ARGS']?.split(' ').filter((arg) => arg !== '') ?? [];
  const child = spawn(process.execPath, [...nodeArgs, entry], { env: { ...process.env, ...stack.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  // A bench that ends on an error leaves no service running behind it (Ctrl-C reaches them anyway).
  process.once('exit', () => child.kill('SIGKILL'));
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  child.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) process.stderr.write(`${entry} exited ${code}:\n${log}\n`);
  });
  if (entry === MAIN) {
    for (let i = 0; i < 600 && child.exitCode === null; i += 1) {
      const ready = await fetch(`${stack.url}/readyz`).then((r) => r.ok, () => false);
      if (ready) return child;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the service did not become ready:\n${log}`);
  }
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function call<T>(stack: Stack, owner: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { authorization: `Bearer ${tokenFor(owner)}` };
  let payload: string | FormData | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${stack.url}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

interface UploadAnswer {
  readonly upload: { readonly id: string; readonly sha256: string };
}

/** One photo through POST /v1/uploads: stored (201), or received and checking (202, judged after the answer). */
async function multipart(stack: Stack, owner: string, bytes: Buffer, expected: 201 | 202 = 201): Promise<UploadAnswer['upload']> {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'image/jpeg' }), 'photo.jpg');
  const answer = await call<UploadAnswer>(stack, owner, 'POST', '/v1/uploads', form);
  if (answer.status !== expected) throw new Error(`upload answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.upload;
}

/** Waits until none of the owner's photos is checking any more; every one must have been stored. */
async function allJudged(stack: Stack, owner: string, count: number): Promise<void> {
  for (;;) {
    const list = await call<{ uploads: unknown[]; pending: { status: string; refusal: unknown }[] }>(stack, owner, 'GET', '/v1/uploads');
    const refused = list.body.pending.filter((p) => p.status === 'refused');
    if (refused.length > 0) throw new Error(`photos refused: ${JSON.stringify(refused.slice(0, 3))}`);
    if (list.body.pending.length === 0 && list.body.uploads.length === count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function presigned(stack: Stack, owner: string, bytes: Buffer, expected: 201 | 202): Promise<void> {
  const slot = await call<{ upload: { id: string; url: string } }>(stack, owner, 'POST', '/v1/uploads/presigned', { byteSize: bytes.length });
  if (slot.status !== 201) throw new Error(`presigned answered ${slot.status}: ${JSON.stringify(slot.body)}`);
  const put = await fetch(slot.body.upload.url, { method: 'PUT', body: bytes, headers: { 'content-length': String(bytes.length) } });
  if (!put.ok) throw new Error(`PUT answered ${put.status}: ${await put.text()}`);
  const done = await call(stack, owner, 'POST', `/v1/uploads/${slot.body.upload.id}/complete`);
  if (done.status !== expected) throw new Error(`complete answered ${done.status}: ${JSON.stringify(done.body)}`);
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

/**
 * Ingest against a direct PutObject of the same bytes, with photos judged after the answer (the
 * service's default: the answer costs a read, a hash and a put; "judged" is until the worker has
 * normalised and stored every one) and before it (normalised on the request path).
 */
async function ingest(stack: Stack) {
  const photos = await Promise.all(Array.from({ length: settings.ingestPhotos }, photo));
  const mib = photos.reduce((sum, p) => sum + p.length, 0) / 2 ** 20;
  // The service makes its bucket when it starts; the baseline runs before any service has.
  await stack.s3.send(new CreateBucketCommand({ Bucket: stack.bucket })).catch((error: unknown) => {
    if ((error as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw error;
  });
  const direct = await timed(() =>
    pool(photos, CONCURRENCY, (bytes, i) => stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: `baseline/${i}`, Body: bytes }))),
  );
  const row = (seconds: number) => ({ seconds, photosPerSecond: photos.length / seconds, mibPerSecond: mib / seconds, ratioToDirectPut: direct / seconds });
  const pass = async (afterAnswer: boolean) => {
    const service = await startProcess(stack, MAIN, { PHOTO_CHECKS_AFTER_ANSWER: afterAnswer ? 'on' : 'off' });
    const tag = afterAnswer ? 'after' : 'before';
    const expected = afterAnswer ? 202 : 201;
    const start = performance.now();
    const answered = await timed(() => pool(photos, CONCURRENCY, (bytes) => multipart(stack, `ingest-multipart-${tag}`, bytes, expected)));
    await allJudged(stack, `ingest-multipart-${tag}`, photos.length);
    const judged = (performance.now() - start) / 1000;
    const viaPresigned = await timed(() => pool(photos, CONCURRENCY, (bytes) => presigned(stack, `ingest-presigned-${tag}`, bytes, expected)));
    await allJudged(stack, `ingest-presigned-${tag}`, photos.length);
    await stopProcess(service);
    return { multipart: row(answered), multipartJudged: row(judged), presigned: row(viaPresigned) };
  };
  return { photos: photos.length, mib, directPut: row(direct), afterAnswer: await pass(true), beforeAnswer: await pass(false) };
}

interface TrainingAnswer {
  readonly training: {
    readonly id: string;
    readonly status: string;
    readonly steps: readonly { readonly name: string; readonly startedAt: string; readonly finishedAt: string | null }[];
    readonly model: { readonly destination: string; readonly trainingSet: readonly { readonly sha256: string }[] } | null;
    readonly failure: unknown;
  };
}

/** The trainer API calls made since `from`: each training asked about on its own, and listings of trainings. */
function trainerCalls(stack: Stack, from: number) {
  const requests = stack.simulator.control.requests.slice(from).filter((r) => r.method === 'GET');
  return {
    getTraining: requests.filter((r) => /^\/v1\/trainings\/[^/]+$/.test(r.path)).length,
    listTrainings: requests.filter((r) => r.path === '/v1/trainings').length,
  };
}

async function endToEnd(stack: Stack, workers: number, sweep: string) {
  const sweepEnv = { TRAINING_SWEEP: sweep };
  const service = await startProcess(stack, MAIN, sweepEnv);
  const extra = await Promise.all(Array.from({ length: workers - 1 }, () => startProcess(stack, WORKER_MAIN, sweepEnv)));
  const run = randomBytes(3).toString('hex');
  const owners = Array.from({ length: settings.owners }, (_, i) => `owner-${run}-${i}`);
  // Setup, not measured: every owner's photos.
  const uploaded = new Map<string, string[]>();
  await pool(owners, CONCURRENCY, async (owner) => {
    const hashes: string[] = [];
    for (let i = 0; i < PHOTOS_PER_OWNER; i += 1) hashes.push((await multipart(stack, owner, await photo())).sha256);
    uploaded.set(owner, hashes);
  });
  const before = await Promise.all([service, ...extra].map((child) => procStats(child.pid!)));

  const sampler = new pg.Client({ connectionString: stack.env['DATABASE_URL'] });
  await sampler.connect();
  let maxConnections = 0;
  let sampling = true;
  const samples = (async () => {
    while (sampling) {
      const { rows } = await sampler.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()');
      maxConnections = Math.max(maxConnections, Number(rows[0]!.n) - 1);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();

  const callsFrom = stack.simulator.control.requests.length;
  const start = performance.now();
  const started = await Promise.all(
    owners.map(async (owner) => {
      const answer = await call<TrainingAnswer>(stack, owner, 'POST', '/v1/trainings', { triggerWord: 'TOK' });
      return { owner, status: answer.status, id: answer.body.training?.id ?? null, body: answer.body };
    }),
  );
  const refused = started.filter((s) => s.status !== 202);
  const finished = new Map<string, { at: number; training: TrainingAnswer['training'] }>();
  while (finished.size < started.length - refused.length) {
    await pool(
      started.filter((s) => s.id !== null && !finished.has(s.owner)),
      CONCURRENCY,
      async (s) => {
        const answer = await call<TrainingAnswer>(stack, s.owner, 'GET', `/v1/trainings/${s.id}`);
        const status = answer.body.training.status;
        if (status === 'succeeded' || status === 'failed' || status === 'canceled') finished.set(s.owner, { at: performance.now(), training: answer.body.training });
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const seconds = (performance.now() - start) / 1000;
  const calls = trainerCalls(stack, callsFrom);
  sampling = false;
  await samples;
  await sampler.end();
  const after = await Promise.all([service, ...extra].map((child) => procStats(child.pid!)));

  // Isolation: what the trainer received for each owner's destination is exactly that owner's photos.
  const received = stack.simulator.control.trainings();
  let violations = 0;
  for (const [owner, { training }] of finished) {
    const mine = [...(uploaded.get(owner) ?? [])].sort();
    const model = training.model;
    const atDestination = received.filter((record) => record.destination === model?.destination);
    const ok =
      training.status === 'succeeded' &&
      model !== null &&
      atDestination.length === 1 &&
      JSON.stringify([...atDestination[0]!.imageHashes].sort()) === JSON.stringify(mine) &&
      JSON.stringify(model.trainingSet.map((item) => item.sha256).sort()) === JSON.stringify(mine);
    if (!ok) violations += 1;
  }
  const stageSeconds = Object.fromEntries(
    STAGES.map((name) => [
      name,
      summary(
        [...finished.values()].flatMap(({ training }) =>
          training.steps.filter((s) => s.name === name && s.finishedAt !== null).map((s) => (Date.parse(s.finishedAt!) - Date.parse(s.startedAt)) / 1000),
        ),
      ),
    ]),
  );
  const endToEndSeconds = summary([...finished.values()].map(({ at }) => (at - start) / 1000));
  const cpuSeconds = after.reduce((sum, stats, i) => sum + stats.cpuSeconds - before[i]!.cpuSeconds, 0);
  await Promise.all([service, ...extra].map(stopProcess));
  return {
    workers,
    sweep,
    trainerCalls: calls,
    owners: settings.owners,
    refusedStarts: refused.map((s) => ({ status: s.status, body: s.body })).slice(0, 5),
    refusedCount: refused.length,
    succeeded: [...finished.values()].filter((f) => f.training.status === 'succeeded').length,
    isolationViolations: violations,
    seconds,
    pipelinesPerMinute: (finished.size / seconds) * 60,
    endToEndSeconds,
    stageSeconds,
    cpuSecondsPerPipeline: cpuSeconds / Math.max(1, finished.size),
    peakRssMiB: after.map((s) => s.peakRssMiB),
    maxPostgresConnections: maxConnections,
  };
}

async function main(): Promise<number> {
  const stack = await startStack();
  try {
    const machine = { cpus: cpus().length, model: cpus()[0]?.model, memGiB: totalmem() / 2 ** 30, kernel: release(), node: process.version, loadBefore: loadavg() };
    process.stdout.write(`bench:load on ${machine.cpus} cores, load ${machine.loadBefore.map((l) => l.toFixed(2)).join(' ')}\n`);
    const ingestResult = await ingest(stack);
    const f = (n: number) => n.toFixed(2);
    const line = (label: string, r: { photosPerSecond: number; mibPerSecond: number; ratioToDirectPut: number }) =>
      `  ${label.padEnd(40)} ${f(r.photosPerSecond)} photos/s  ${f(r.mibPerSecond)} MiB/s  ${f(r.ratioToDirectPut)}x direct put`;
    process.stdout.write(
      `ingest ${ingestResult.photos} photos (${f(ingestResult.mib)} MiB), ${CONCURRENCY} at a time:\n` +
        [
          line('direct PutObject', ingestResult.directPut),
          line('multipart, judged after the answer', ingestResult.afterAnswer.multipart),
          line('  ... until every photo was stored', ingestResult.afterAnswer.multipartJudged),
          line('presigned, judged after the answer', ingestResult.afterAnswer.presigned),
          line('multipart, judged before the answer', ingestResult.beforeAnswer.multipart),
          line('presigned, judged before the answer', ingestResult.beforeAnswer.presigned),
        ].join('\n') +
        '\n',
    );
    const runs: Awaited<ReturnType<typeof endToEnd>>[] = [];
    for (const [sweep, workers] of settings.sweeps.flatMap((sweep) => settings.workers.map((workers) => [sweep, workers] as const))) {
      const result = await endToEnd(stack, workers, sweep);
      runs.push(result);
      process.stdout.write(
        `end to end, ${result.owners} owners x ${PHOTOS_PER_OWNER} photos, ${workers} worker process(es), training sweep ${sweep}: ${result.succeeded} succeeded, ` +
          `${result.refusedCount} starts refused, ${result.isolationViolations} isolation violations\n` +
          `  ${f(result.pipelinesPerMinute)} pipelines/min; end to end p50 ${f(result.endToEndSeconds.p50)} s, p95 ${f(result.endToEndSeconds.p95)} s, max ${f(result.endToEndSeconds.max)} s\n` +
          STAGES.map((s) => `  ${s.padEnd(15)} p50 ${f(result.stageSeconds[s]!.p50)} s  p95 ${f(result.stageSeconds[s]!.p95)} s  max ${f(result.stageSeconds[s]!.max)} s`).join('\n') +
          `\n  CPU ${f(result.cpuSecondsPerPipeline)} s per pipeline (service and workers), peak RSS ${result.peakRssMiB.map((m) => `${m.toFixed(0)} MiB`).join(', ')}, ` +
          `Postgres connections at most ${result.maxPostgresConnections}\n` +
          `  trainer calls: ${result.trainerCalls.getTraining} trainings asked about (${f(result.trainerCalls.getTraining / Math.max(1, result.succeeded))} per pipeline), ` +
          `${result.trainerCalls.listTrainings} listings\n`,
      );
    }
    if (settings.workers.length === 2 && settings.sweeps.length === 1) {
      process.stdout.write(`throughput, ${runs[1]!.workers} workers vs ${runs[0]!.workers}: ${f(runs[1]!.pipelinesPerMinute / runs[0]!.pipelinesPerMinute)}x\n`);
    }
    if (settings.sweeps.length === 2 && settings.workers.length === 1) {
      const calls = (r: Awaited<ReturnType<typeof endToEnd>>) => r.trainerCalls.getTraining + r.trainerCalls.listTrainings;
      process.stdout.write(`trainer calls, sweep ${runs[1]!.sweep} vs ${runs[0]!.sweep}: ${f(calls(runs[1]!) / Math.max(1, calls(runs[0]!)))}x\n`);
    }
    await mkdir(join(RESULTS, '..'), { recursive: true });
    await writeFile(RESULTS, JSON.stringify({ date: new Date().toISOString(), machine, settings, ingest: ingestResult, runs, loadAfter: loadavg() }, null, 2));
    process.stdout.write(`results: ${RESULTS}\n`);
    const bad = runs.some((r) => r.isolationViolations > 0 || r.succeeded !== r.owners);
    if (bad) process.stderr.write('FAILED: a pipeline did not succeed or a training received photos that were not its owner\'s\n');
    return bad ? 1 : 0;
  } finally {
    await stack.close();
  }
}

process.exit(await main());
