import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ZipArchive } from 'archiver';
import JSZip from 'jszip';
import { S3ObjectStore, S3Packager, type S3Bucket, type UploadTuning } from '../packages/adapters/src/s3/index.js';
import type { Photo } from './photo-sets.js';

export const approachNames = ['raw-copy', 'raw-copy-parts', 's3-packager', 'jszip', 'archiver'] as const;
export type ApproachName = (typeof approachNames)[number];

export const approachLabels: Record<ApproachName, string> = {
  'raw-copy': 'raw S3 copy (no ZIP)',
  'raw-copy-parts': 'raw S3 copy via our part writer',
  's3-packager': 'S3Packager build + readBack',
  jszip: 'JSZip STORE in memory',
  archiver: 'archiver level 9 -> file -> upload',
};

export interface ApproachJob {
  readonly photos: readonly Photo[];
  /** Everything this run writes goes under this prefix. */
  readonly outputPrefix: string;
  readonly tmpDir: string;
}

export interface ApproachOutcome {
  readonly bytesOut: number;
  /** Sub-steps worth reporting on their own, in ms. */
  readonly phases: Record<string, number>;
  /** Only our packager checks what it wrote; `null` where the approach does not. */
  readonly verified: { readonly ok: boolean; readonly detail: string } | null;
}

/**
 * `BENCH_UPLOAD_TUNING="partSize=8388608,queueSize=2"`: tuning for our part writer (S3Packager and
 * the raw copy through it), for experiments. Unset, both run with the adapter's defaults, as
 * the service does.
 */
export function uploadTuning(): UploadTuning {
  const text = process.env['BENCH_UPLOAD_TUNING']?.trim();
  if (!text) return {};
  const tuning: Record<string, number> = {};
  for (const pair of text.split(',')) {
    const [name, value] = pair.split('=').map((part) => part.trim());
    const number = Number(value);
    if ((name !== 'partSize' && name !== 'queueSize') || !Number.isInteger(number) || number < 1) {
      throw new Error(`BENCH_UPLOAD_TUNING: expected partSize=<bytes>,queueSize=<n>, got ${pair}`);
    }
    tuning[name] = number;
  }
  return tuning;
}

/** The same lib-storage Upload (default 5 MiB parts, 4 in flight) for every approach. */
async function upload(s3: S3Bucket, key: string, body: Readable | Buffer): Promise<void> {
  await new Upload({ client: s3.client, params: { Bucket: s3.bucket, Key: key, Body: body } }).done();
}

async function download(s3: S3Bucket, key: string): Promise<Readable> {
  const output = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  if (!(output.Body instanceof Readable)) throw new Error(`GetObject ${key} answered without a Node stream`);
  return output.Body;
}

/** The floor: each photo streamed from GetObject into an Upload, one after another, no ZIP. */
async function rawCopy(s3: S3Bucket, job: ApproachJob): Promise<ApproachOutcome> {
  let bytesOut = 0;
  for (const photo of job.photos) {
    await upload(s3, `${job.outputPrefix}/${photo.name}`, await download(s3, photo.key));
    bytesOut += photo.byteSize;
  }
  return { bytesOut, phases: {}, verified: null };
}

/**
 * Not a yardstick, a control: the same copy through the project's own upload path (S3ObjectStore.put,
 * hence our part writer), to tell what the ZIP costs from what the writer saves against lib-storage.
 */
async function rawCopyThroughParts(s3: S3Bucket, job: ApproachJob): Promise<ApproachOutcome> {
  const store = new S3ObjectStore(s3, uploadTuning());
  let bytesOut = 0;
  for (const photo of job.photos) {
    const key = `${job.outputPrefix}/${photo.name}`;
    const put = await store.put(key, await download(s3, photo.key), { maxBytes: photo.byteSize }).match(
      (facts) => facts,
      (error) => {
        throw new Error(`put ${key}: ${error.code}: ${error.detail ?? error.message}`);
      },
    );
    bytesOut += put.byteSize;
  }
  return { bytesOut, phases: {}, verified: null };
}

/** Ours: streaming store-mode ZIP into a multipart upload, then read back through the central directory. */
async function s3Packager(s3: S3Bucket, job: ApproachJob): Promise<ApproachOutcome> {
  const packager = new S3Packager(s3, uploadTuning());
  const key = `${job.outputPrefix}/package.zip`;
  const sources = job.photos.map((photo) => ({ name: photo.name, key: photo.key }));
  const started = performance.now();
  const built = await packager.build(key, sources).match(
    (facts) => facts,
    (error) => {
      throw new Error(`build: ${error.code}: ${error.detail ?? error.message}`);
    },
  );
  const builtAt = performance.now();
  const readBack = await packager.readBack(key).match(
    (facts) => facts,
    (error) => {
      throw new Error(`readBack: ${error.code}: ${error.detail ?? error.message}`);
    },
  );
  const phases = { build: builtAt - started, readBack: performance.now() - builtAt };
  const expected = job.photos.map((photo) => `${photo.name}:${photo.byteSize}:${photo.sha256}`).join('\n');
  const entriesOf = (entries: readonly { name: string; byteSize: number; sha256: string }[]): string =>
    entries.map((entry) => `${entry.name}:${entry.byteSize}:${entry.sha256}`).join('\n');
  const problems = [
    entriesOf(built.entries) === expected ? null : 'built entries differ from the seeded photos',
    entriesOf(readBack.entries) === expected ? null : 'read-back entries differ from the seeded photos',
    readBack.sha256 === built.sha256 && readBack.byteSize === built.byteSize ? null : 'read-back archive differs from the built one',
  ].filter((problem): problem is string => problem !== null);
  const verified = problems.length === 0
    ? { ok: true, detail: `${readBack.entries.length} entries, SHA-256 of each matches the seeded photo` }
    : { ok: false, detail: problems.join('; ') };
  return { bytesOut: built.byteSize, phases, verified };
}

/** The common in-memory way: every photo into a Buffer, one generateAsync, one upload. */
async function jszip(s3: S3Bucket, job: ApproachJob): Promise<ApproachOutcome> {
  const zip = new JSZip();
  const started = performance.now();
  for (const photo of job.photos) {
    const chunks: Buffer[] = [];
    for await (const chunk of await download(s3, photo.key)) chunks.push(chunk as Buffer);
    zip.file(photo.name, Buffer.concat(chunks), { binary: true, date: new Date(2000, 0, 1) });
  }
  const downloadedAt = performance.now();
  const archive = await zip.generateAsync({ type: 'nodebuffer', compression: 'STORE' });
  const generatedAt = performance.now();
  await upload(s3, `${job.outputPrefix}/package.zip`, archive);
  const phases = { download: downloadedAt - started, generate: generatedAt - downloadedAt, upload: performance.now() - generatedAt };
  return { bytesOut: archive.byteLength, phases, verified: null };
}

/** The common streaming way: archiver (deflate level 9) into a temp file, then the file uploaded. */
async function archiverToFile(s3: S3Bucket, job: ApproachJob): Promise<ApproachOutcome> {
  const file = join(job.tmpDir, 'package.zip');
  const started = performance.now();
  const output = createWriteStream(file);
  const closed = once(output, 'close');
  const archive = new ZipArchive({ zlib: { level: 9 } });
  archive.pipe(output);
  for (const photo of job.photos) {
    // One GetObject at a time: archiver takes entries in order, so opening all at once only holds sockets.
    const entered = once(archive, 'entry');
    archive.append(await download(s3, photo.key), { name: photo.name, date: new Date(2000, 0, 1) });
    await entered;
  }
  await archive.finalize();
  await closed;
  const zippedAt = performance.now();
  const { size } = await stat(file);
  await upload(s3, `${job.outputPrefix}/package.zip`, createReadStream(file));
  const phases = { zipToFile: zippedAt - started, upload: performance.now() - zippedAt };
  await rm(file, { force: true });
  return { bytesOut: size, phases, verified: null };
}

export const approaches: Record<ApproachName, (s3: S3Bucket, job: ApproachJob) => Promise<ApproachOutcome>> = {
  'raw-copy': rawCopy,
  'raw-copy-parts': rawCopyThroughParts,
  's3-packager': s3Packager,
  jszip,
  archiver: archiverToFile,
};
