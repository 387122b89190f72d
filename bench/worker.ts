// One approach, one photo set, in a process of its own, so one approach's RSS peak cannot
// pollute another's. Started by packaging.ts: reads its job as JSON on stdin, answers one JSON
// line on stdout.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { connectS3 } from '../packages/adapters/src/s3/index.js';
import { approaches, type ApproachJob, type ApproachName, type ApproachOutcome } from './approaches.js';
import { measureRss, type RssReading } from './rss.js';

export interface WorkerJob extends ApproachJob {
  readonly approach: ApproachName;
  readonly endpoint: string;
  readonly bucket: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface WorkerAnswer {
  readonly approach: ApproachName;
  readonly wallMs: number;
  /** CPU time of this process during the work (user + system), in ms: what a busy machine makes you pay for. */
  readonly cpuMs: number;
  readonly outcome: ApproachOutcome;
  readonly rss: RssReading;
}

async function readJob(): Promise<WorkerJob> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as WorkerJob;
}

async function main(): Promise<void> {
  const job = await readJob();
  const s3 = connectS3({
    endpoint: job.endpoint,
    region: 'us-east-1',
    bucket: job.bucket,
    ...job.credentials,
    forcePathStyle: true,
    checksumMode: 'when_required',
  });
  try {
    // One small request first, so the SDK's lazily loaded parts are in memory before the baseline.
    const first = job.photos[0];
    if (first) {
      const warm = await s3.client.send(new GetObjectCommand({ Bucket: job.bucket, Key: first.key, Range: 'bytes=0-0' }));
      if (warm.Body instanceof Readable) for await (const _ of warm.Body) void _;
    }
    const { value, rss } = await measureRss(async () => {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const outcome = await approaches[job.approach](s3, job);
      const used = process.cpuUsage(cpu);
      return { outcome, wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
    });
    const answer: WorkerAnswer = { approach: job.approach, wallMs: value.wallMs, cpuMs: value.cpuMs, outcome: value.outcome, rss };
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  } finally {
    s3.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
