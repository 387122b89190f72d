import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Decoded pixels: RGBA, 8 bits per channel, as libheif turned them (its `irot`/`imir` applied). */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

// Runs in the worker: heic-decode (libheif compiled to wasm) by the path the parent resolved.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const decode = require(workerData.modulePath);
parentPort.on('message', async ({ id, bytes }) => {
  try {
    const image = await decode({ buffer: bytes });
    const data = new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
    parentPort.postMessage({ id, width: image.width, height: image.height, data }, [data.buffer]);
  } catch (cause) {
    parentPort.postMessage({ id, error: String((cause && cause.message) || cause) });
  }
});
`;

type Answer = { id: number; width: number; height: number; data: Uint8Array } | { id: number; error: string };

interface Pending {
  resolve(image: RgbaImage): void;
  reject(cause: Error): void;
}

/**
 * HEIC/HEIF decoding off the main thread. libheif's wasm memory grows with the largest image
 * and never shrinks (about 550 MB after ten 12 MP photos), so it lives in a worker thread that
 * is replaced after `decodesPerWorker` decodes and ended when idle: the memory goes with it.
 * Decodes run one at a time per worker; the image queue bounds how many wait.
 */
export class HeicDecoder {
  private worker: Worker | null = null;
  private decodes = 0;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly modulePath = createRequire(import.meta.url).resolve('heic-decode');

  constructor(private readonly options: { readonly decodesPerWorker: number; readonly idleMs: number } = { decodesPerWorker: 8, idleMs: 30_000 }) {}

  decode(bytes: Uint8Array): Promise<RgbaImage> {
    const worker = this.ready();
    const id = (this.nextId += 1);
    this.decodes += 1;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    return new Promise<RgbaImage>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // A copy: the caller keeps its bytes; the copy's memory moves to the worker.
      const copy = new Uint8Array(bytes);
      worker.postMessage({ id, bytes: copy }, [copy.buffer]);
    });
  }

  /** Ends the worker (and its wasm memory) now; later decodes start a new one. */
  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private ready(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { modulePath: this.modulePath } });
    worker.unref();
    worker.on('message', (answer: Answer) => this.settle(worker, answer));
    worker.on('error', (cause) => this.fail(worker, cause));
    worker.on('exit', (code) => this.fail(worker, new Error(`HEIC decoder exited with code ${code}`)));
    this.worker = worker;
    this.decodes = 0;
    return worker;
  }

  private settle(worker: Worker, answer: Answer): void {
    const waiting = this.pending.get(answer.id);
    this.pending.delete(answer.id);
    if (waiting) {
      if ('error' in answer) waiting.reject(new Error(answer.error));
      else waiting.resolve({ width: answer.width, height: answer.height, data: answer.data });
    }
    if (this.pending.size > 0 || worker !== this.worker) return;
    if (this.decodes >= this.options.decodesPerWorker) {
      void this.close();
    } else {
      this.idleTimer = setTimeout(() => void this.close(), this.options.idleMs);
      this.idleTimer.unref();
    }
  }

  private fail(worker: Worker, cause: Error): void {
    // A worker ended on purpose is no longer current; its requests were all answered.
    if (worker !== this.worker) return;
    this.worker = null;
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id);
      waiting.reject(cause);
    }
  }
}
