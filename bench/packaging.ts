// `npm run bench`: packaging throughput and memory, ours against a raw S3 copy and two peer
// approaches, on photo sets in a local S3 server. See docs/benchmarks.md.
//   BENCH_QUICK=1           one small set (5 x 1 MiB), one run: a smoke test
//   BENCH_RUNS=n            runs per approach and set (default 3, quick 1); medians are reported
//   BENCH_APPROACHES=a,b    a subset of raw-copy,raw-copy-parts,s3-packager,jszip,archiver (raw-copy always runs)
//   BENCH_SETS=20x10,50x20  a subset of the full sets (count x MiB each)
//   BENCH_UPLOAD_TUNING=partSize=<bytes>,queueSize=<n>  our part writer's tuning (default: the adapter's)
//   BENCH_NODE_ARGS="..."   extra Node flags for each worker (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof)
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { arch, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { connectS3, S3ObjectStore, type S3Bucket } from '../packages/adapters/src/s3/index.js';
import { startLocalS3 } from '../packages/local-stack/src/s3/local-s3-server.js';
import { approachLabels, approachNames, type ApproachName } from './approaches.js';
import { MiB, photoSets, seedPhotoSet, totalBytes, type Photo, type PhotoSet } from './photo-sets.js';
import { checkTargets, renderSet, renderTargets, summarizeSet, type SetSummary } from './report.js';
import type { WorkerAnswer, WorkerJob } from './worker.js';

const BUCKET = 'bench';
const setName = (set: PhotoSet): string => `${set.count}x${set.bytesEach / MiB}`;
// Compiled to bench/dist/bench/: the worker sits next to this file, the results two levels up.
const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../results/latest.json', import.meta.url));

interface Settings {
  readonly quick: boolean;
  readonly runs: number;
  readonly approaches: readonly ApproachName[];
  readonly sets: readonly PhotoSet[];
}

function settings(): Settings {
  const quick = process.env['BENCH_QUICK'] === '1' || process.argv.includes('--quick');
  const runs = Number(process.env['BENCH_RUNS'] ?? (quick ? 1 : 3));
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS must be a positive integer, not ${process.env['BENCH_RUNS']}`);
  const wanted = process.env['BENCH_APPROACHES']?.split(',').map((name) => name.trim());
  const unknown = wanted?.filter((name) => !(approachNames as readonly string[]).includes(name)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown approaches ${unknown.join(', ')}; known: ${approachNames.join(', ')}`);
  // The raw copy is the yardstick, so it always runs.
  const approaches = approachNames.filter((name) => name === 'raw-copy' || !wanted || wanted.includes(name));
  const wantedSets = process.env['BENCH_SETS']?.split(',').map((name) => name.trim());
  const sets = photoSets(quick).filter((set) => !wantedSets || wantedSets.includes(setName(set)));
  if (sets.length === 0) throw new Error(`BENCH_SETS matches no set; known: ${photoSets(quick).map(setName).join(', ')}`);
  return { quick, runs, approaches, sets };
}

/** Runs one approach in a fresh Node process and returns its answer. */
function runWorker(job: WorkerJob): Promise<WorkerAnswer> {
  return new Promise((resolve, reject) => {
    const extra = process.env['BENCH_NODE_ARGS']?.split(' ').filter((arg) => arg !== '') ?? [];
    const child = spawn(process.execPath, ['--expose-gc', ...extra, WORKER], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin.end(JSON.stringify(job));
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = Buffer.concat(out).toString('utf8').trim().split('\n');
      if (code !== 0) reject(new Error(`${job.approach} worker exited with ${code}`));
      else resolve(JSON.parse(lines[lines.length - 1] ?? '') as WorkerAnswer);
    });
  });
}

async function deletePrefix(s3: S3Bucket, prefix: string): Promise<void> {
  for (;;) {
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${prefix}/` }));
    const keys = (listed.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
    if (keys.length === 0) return;
    await s3.client.send(new DeleteObjectsCommand({ Bucket: s3.bucket, Delete: { Objects: keys } }));
  }
}


async function benchSet(s3: S3Bucket, store: S3ObjectStore, set: PhotoSet, options: Settings & { endpoint: string; credentials: WorkerJob['credentials']; tmpDir: string }): Promise<SetSummary> {
  const prefix = `photos/${setName(set)}`;
  console.log(`\nseeding ${set.label}...`);
  const photos: Photo[] = await seedPhotoSet(store, set, prefix);
  const loadAtStart = loadavg()[0] ?? 0;
  const answers: WorkerAnswer[] = [];
  for (let run = 0; run < options.runs; run += 1) {
    // Rotate the order each run, so no approach always goes first (cold) or last.
    const order = options.approaches.map((_, i) => options.approaches[(i + run) % options.approaches.length]!);
    for (const approach of order) {
      const outputPrefix = `out/${setName(set)}/${approach}-${run}`;
      const answer = await runWorker({ approach, endpoint: options.endpoint, credentials: options.credentials, bucket: BUCKET, photos, outputPrefix, tmpDir: options.tmpDir });
      answers.push(answer);
      await deletePrefix(s3, outputPrefix);
      const verified = answer.outcome.verified ? `, verified: ${answer.outcome.verified.ok ? 'yes' : `NO (${answer.outcome.verified.detail})`}` : '';
      console.log(
        `  run ${run + 1}/${options.runs} ${approachLabels[approach].padEnd(36)} ${(answer.wallMs / 1000).toFixed(2)} s, ` +
          `CPU ${(answer.cpuMs / 1000).toFixed(2)} s, RSS +${(answer.rss.growth / MiB).toFixed(1)} MiB (after GC +${(answer.rss.retained / MiB).toFixed(1)})${verified}`,
      );
    }
  }
  await deletePrefix(s3, prefix);
  return summarizeSet(set, totalBytes(set), answers, { start: loadAtStart, end: loadavg()[0] ?? 0 });
}

async function main(): Promise<void> {
  // The SDK warns on every client that releases after January 2027 will need Node 22: noise here.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
  const options = settings();
  const directory = await mkdtemp(join(tmpdir(), 'selfie-bench-s3-'));
  const tmpDir = await mkdtemp(join(tmpdir(), 'selfie-bench-files-'));
  const server = await startLocalS3({ directory, buckets: [BUCKET] });
  const s3 = connectS3({
    endpoint: server.endpoint,
    region: server.region,
    bucket: BUCKET,
    accessKeyId: server.credentials.accessKeyId,
    secretAccessKey: server.credentials.secretAccessKey,
    forcePathStyle: true,
    checksumMode: 'when_required',
  });
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    os: `${process.platform} ${release()} ${arch()}`,
  };
  console.log(`packaging bench, ${options.quick ? 'quick set' : 'full sets'}, ${options.runs} run(s); ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}`);
  try {
    const summaries: SetSummary[] = [];
    for (const set of options.sets) summaries.push(await benchSet(s3, new S3ObjectStore(s3), set, { ...options, endpoint: server.endpoint, credentials: server.credentials, tmpDir }));
    const largest = summaries[summaries.length - 1];
    const targets = largest ? checkTargets(largest) : [];
    console.log(`\n${summaries.map(renderSet).join('\n\n')}\n\n${renderTargets(targets)}`);
    await mkdir(join(RESULTS, '..'), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify({ date: new Date().toISOString(), machine, settings: options, sets: summaries, targets }, null, 2)}\n`);
    console.log(`\nwritten: ${RESULTS}`);
  } finally {
    s3.close();
    await server.close();
    await rm(directory, { recursive: true, force: true });
    await rm(tmpDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
