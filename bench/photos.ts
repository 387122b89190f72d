// `npm run bench:photos`: speed per photo of HEIC decoding and of the face checks, with peak RSS,
// against a baseline measured in the same run (normalising a JPEG of the same size with sharp).
// Each stage runs in its own Node process so one stage's memory cannot pollute another's.
// Needs heif-enc (Debian libheif-examples) to make the 12 MP HEIC; without it the HEIC stage is skipped.
//   BENCH_PHOTOS_RUNS=n  photos per stage after one warm-up (default 5)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceUsage } from 'node:process';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { HumanFaceInspector } from '../packages/adapters/src/faces/human-face-inspector.js';
import { SharpPhotoNormaliser } from '../packages/adapters/src/images/sharp-photo-normaliser.js';

const RUNS = Number(process.env['BENCH_PHOTOS_RUNS'] ?? 5);
// Compiled to bench/dist/bench/: the repository root is three levels up.
const FIXTURES = fileURLToPath(new URL('../../../packages/adapters/test/fixtures/photos/', import.meta.url));
type Stage = 'jpeg' | 'heic' | 'faces-small' | 'faces-12mp';

interface StageResult {
  readonly stage: Stage;
  readonly msPerPhoto: number;
  readonly firstMs: number;
  readonly peakRssMiB: number;
}

/** A 12 MP (4032 x 3024, an iPhone's size) photo of a face: the astronaut fixture upscaled, with grain. */
async function twelveMegapixelJpeg(): Promise<Buffer> {
  return sharp(await readFile(join(FIXTURES, 'upright.jpg')))
    .resize(3024, 4032)
    .rotate(90)
    .jpeg({ quality: 90 })
    .toBuffer();
}

async function timed(run: () => Promise<unknown>): Promise<{ first: number; each: number }> {
  const started = performance.now();
  await run();
  const first = performance.now() - started;
  const rest = performance.now();
  for (let i = 0; i < RUNS; i += 1) await run();
  return { first, each: (performance.now() - rest) / RUNS };
}

async function runStage(stage: Stage, dir: string): Promise<StageResult> {
  const normaliser = new SharpPhotoNormaliser();
  const faces = new HumanFaceInspector();
  let times: { first: number; each: number };
  if (stage === 'jpeg') {
    const bytes = await readFile(join(dir, '12mp.jpg'));
    times = await timed(async () => (await normaliser.normalise(bytes))._unsafeUnwrap());
  } else if (stage === 'heic') {
    const bytes = await readFile(join(dir, '12mp.heic'));
    times = await timed(async () => (await normaliser.normalise(bytes))._unsafeUnwrap());
  } else {
    const bytes = await readFile(stage === 'faces-small' ? join(FIXTURES, 'astronaut-a.jpg') : join(dir, '12mp.jpg'));
    const normalised = await normaliser.normalise(bytes);
    const photo = normalised._unsafeUnwrap();
    times = await timed(async () => {
      const report = await faces.inspect(photo);
      return report._unsafeUnwrap();
    });
  }
  await faces.close();
  await normaliser.close();
  return { stage, msPerPhoto: times.each, firstMs: times.first, peakRssMiB: (resourceUsage().maxRSS * 1024) / 2 ** 20 };
}

async function main(): Promise<void> {
  const stageArg = process.argv.find((arg) => arg.startsWith('--stage='));
  const dirArg = process.argv.find((arg) => arg.startsWith('--dir='));
  if (stageArg && dirArg) {
    process.stdout.write(JSON.stringify(await runStage(stageArg.slice(8) as Stage, dirArg.slice(6))));
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'bench-photos-'));
  try {
    await writeFile(join(dir, '12mp.jpg'), await twelveMegapixelJpeg());
    let heic = true;
    try {
      execFileSync('heif-enc', ['-q', '60', '-o', join(dir, '12mp.heic'), join(dir, '12mp.jpg')], { stdio: 'ignore' });
    } catch {
      heic = false;
      console.log('heif-enc not found (apt-get install libheif-examples): HEIC stage skipped');
    }
    const stages: Stage[] = ['jpeg', ...(heic ? (['heic'] as const) : []), 'faces-small', 'faces-12mp'];
    const results: StageResult[] = [];
    for (const stage of stages) {
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), `--stage=${stage}`, `--dir=${dir}`], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`stage ${stage} failed: ${child.stderr}`);
      const line = child.stdout.trim().split('\n').pop()!;
      results.push(JSON.parse(line.slice(line.indexOf('{'))) as StageResult);
    }
    const baseline = results[0]!.msPerPhoto;
    console.log(`photos bench: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${RUNS} photos per stage after one warm-up`);
    console.log('| stage | ms per photo (warm) | first photo ms (cold) | x baseline | peak RSS MiB |');
    console.log('|---|---|---|---|---|');
    for (const r of results) {
      console.log(`| ${r.stage} | ${r.msPerPhoto.toFixed(0)} | ${r.firstMs.toFixed(0)} | ${(r.msPerPhoto / baseline).toFixed(2)} | ${r.peakRssMiB.toFixed(0)} |`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
