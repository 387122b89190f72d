import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ResultAsync } from 'neverthrow';
import sharp, { type Sharp } from 'sharp';
import { domainError, transientError, type DetectedFace, type FaceInspectError, type FaceInspector, type FaceReport, type NormalisedPhoto } from '@selfie-lora/core';
import { ImageQueueFull, ImageWorkQueue } from '../images/image-work-queue.js';
import { HUMAN_WORKER_SOURCE } from './human-worker-source.js';

/** Photos are looked at no larger than this (longest side): faces stay findable, the model stays fast. */
const DETECT_SIDE = 1024;
/** Faces are judged for sharpness on a square greyscale crop of this side. */
const SHARPNESS_SIDE = 128;

interface ModelFace {
  readonly box: readonly [number, number, number, number];
  readonly score: number;
  readonly embedding: readonly number[];
}

type Answer = { id: number; faces: readonly ModelFace[] } | { id: number; error: string };

function modelPaths(): { humanPath: string; wasmUrl: string; modelsUrl: string } {
  const require = createRequire(import.meta.url);
  // The package's main entry pulls in tfjs-node (a native download): load the wasm build by path.
  // Resolving the main entry finds the package without loading it (its exports hide package.json).
  const humanRoot = dirname(dirname(require.resolve('@vladmandic/human')));
  const wasmRoot = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  return {
    humanPath: join(humanRoot, 'dist', 'human.node-wasm.js'),
    wasmUrl: `${pathToFileURL(join(wasmRoot, 'dist')).href}/`,
    modelsUrl: `${pathToFileURL(join(humanRoot, 'models')).href}/`,
  };
}

/** Variance of the 4-neighbour Laplacian over a greyscale image: a standard focus measure, low when edges are soft. */
export function laplacianVariance(grey: Uint8Array, width: number, height: number): number {
  let sum = 0;
  let squares = 0;
  let count = 0;
  for (let y = 1; y < height - 1; y += 1) {
    for (let x = 1; x < width - 1; x += 1) {
      const at = y * width + x;
      const value = grey[at - width]! + grey[at + width]! + grey[at - 1]! + grey[at + 1]! - 4 * grey[at]!;
      sum += value;
      squares += value * value;
      count += 1;
    }
  }
  if (count === 0) return 0;
  const mean = sum / count;
  return squares / count - mean * mean;
}

/** The sharpness of the face: its box, greyscale, at a fixed size so photos of any size compare. */
async function sharpnessOf(photo: Sharp, box: DetectedFace['box'], size: { width: number; height: number }): Promise<number> {
  const left = Math.max(0, Math.floor(box.x));
  const top = Math.max(0, Math.floor(box.y));
  const width = Math.max(1, Math.min(size.width - left, Math.round(box.width)));
  const height = Math.max(1, Math.min(size.height - top, Math.round(box.height)));
  const grey = await photo
    .clone()
    .extract({ left, top, width, height })
    .resize(SHARPNESS_SIDE, SHARPNESS_SIDE, { fit: 'fill' })
    .greyscale()
    .raw()
    .toBuffer();
  return laplacianVariance(new Uint8Array(grey.buffer, grey.byteOffset, grey.byteLength), SHARPNESS_SIDE, SHARPNESS_SIDE);
}

/**
 * Face checks with a real model, offline: @vladmandic/human (BlazeFace detector, FaceRes
 * embeddings of 1024 numbers) on tfjs's wasm backend, in a worker thread so the ~150 ms per
 * photo never blocks the event loop. The model loads once, on first use, and stays loaded
 * (300-400 MB RSS); photos are decoded by sharp within the shared image queue.
 */
export class HumanFaceInspector implements FaceInspector {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(faces: readonly ModelFace[]): void; reject(cause: Error): void }>();
  private readonly queue: ImageWorkQueue;
  private readonly minConfidence: number;

  constructor(options: { readonly queue?: ImageWorkQueue; readonly minConfidence?: number } = {}) {
    this.queue = options.queue ?? new ImageWorkQueue();
    this.minConfidence = options.minConfidence ?? 0.5;
  }

  inspect(photo: NormalisedPhoto): ResultAsync<FaceReport, FaceInspectError> {
    return ResultAsync.fromPromise(this.queue.run(() => this.look(photo)), (cause): FaceInspectError =>
      cause instanceof ImageQueueFull
        ? transientError('upload.busy', cause.message)
        : { ...domainError('upload.checks_unavailable', `face model failed: ${String(cause)}`), transient: true },
    );
  }

  /** Ends the model's thread (and its memory); the next inspection starts it again. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private async look(photo: NormalisedPhoto): Promise<FaceReport> {
    const { width, height } = photo.facts;
    const image = sharp(photo.bytes);
    const scale = Math.min(1, DETECT_SIDE / Math.max(width, height));
    const { data, info } = await image
      .clone()
      .resize(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)), { fit: 'fill' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const found = await this.detect(info.width, info.height, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const faces: DetectedFace[] = [];
    for (const face of found) {
      const [x, y, w, h] = face.box;
      const box = { x: x / scale, y: y / scale, width: w / scale, height: h / scale };
      faces.push({ box, score: face.score, sharpness: await sharpnessOf(image, box, { width, height }), embedding: face.embedding });
    }
    return { width, height, faces };
  }

  private detect(width: number, height: number, rgb: Uint8Array): Promise<readonly ModelFace[]> {
    const worker = this.ready();
    const id = (this.nextId += 1);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const copy = new Uint8Array(rgb);
      worker.postMessage({ id, width, height, rgb: copy }, [copy.buffer]);
    });
  }

  private ready(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(HUMAN_WORKER_SOURCE, { eval: true, workerData: { ...modelPaths(), minConfidence: this.minConfidence } });
    worker.unref();
    worker.on('message', (answer: Answer) => {
      const waiting = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if (!waiting) return;
      if ('error' in answer) waiting.reject(new Error(answer.error));
      else waiting.resolve(answer.faces);
    });
    const fail = (cause: Error) => {
      if (worker !== this.worker) return;
      this.worker = null;
      for (const [id, waiting] of this.pending) {
        this.pending.delete(id);
        waiting.reject(cause);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`face model thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
