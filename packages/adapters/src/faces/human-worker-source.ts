// The face model's thread: @vladmandic/human on the tfjs wasm backend, models and wasm read from
// the installed npm packages by path (nothing downloads). Plain CommonJS, run with `eval: true`,
// so it needs no build step and runs the same from sources (tests) and from dist.
export const HUMAN_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFile } = require('node:fs/promises');
const { fileURLToPath } = require('node:url');

// Node 20's fetch cannot read file:// URLs; the model loader and the wasm backend use fetch.
const networkFetch = globalThis.fetch;
globalThis.fetch = async (url, init) => {
  const href = String(url && url.href ? url.href : url);
  if (!href.startsWith('file://')) throw new Error('the face model may not use the network: ' + href);
  const body = await readFile(fileURLToPath(href));
  return new Response(body, { status: 200, headers: { 'content-type': href.endsWith('.json') ? 'application/json' : 'application/octet-stream' } });
};
void networkFetch;

const { Human } = require(workerData.humanPath);
const human = new Human({
  backend: 'wasm',
  debug: false,
  wasmPath: workerData.wasmUrl,
  modelBasePath: workerData.modelsUrl,
  // Unrelated photos one after another: no frame cache, no skipped frames.
  cacheSensitivity: 0,
  skipAllowed: false,
  face: {
    enabled: true,
    detector: { rotation: false, maxDetected: 8, minConfidence: workerData.minConfidence, return: false },
    mesh: { enabled: true },
    iris: { enabled: false },
    description: { enabled: true },
    emotion: { enabled: false },
    antispoof: { enabled: false },
    liveness: { enabled: false },
  },
  body: { enabled: false },
  hand: { enabled: false },
  object: { enabled: false },
  gesture: { enabled: false },
  segmentation: { enabled: false },
  filter: { enabled: false },
});
const loaded = human.load();

parentPort.on('message', async ({ id, width, height, rgb }) => {
  try {
    await loaded;
    const tensor = human.tf.tensor4d(Int32Array.from(rgb), [1, height, width, 3], 'int32');
    let result;
    try {
      result = await human.detect(tensor);
    } finally {
      tensor.dispose();
    }
    const faces = result.face.map((face) => ({
      box: face.box,
      score: face.score,
      embedding: Array.from(face.embedding || []),
    }));
    parentPort.postMessage({ id, faces });
  } catch (cause) {
    parentPort.postMessage({ id, error: String((cause && cause.stack) || cause) });
  }
});
`;
