// What-if for docs/benchmarks.md, not used by default: makes fflate's ZipPassThrough compute
// its CRC-32 with node:zlib (native) instead of its byte-at-a-time JavaScript loop, the change
// proposed for packages/adapters/src/s3/s3-packager.ts. Load it into the workers with
//   BENCH_NODE_ARGS="--import ./bench/what-if-native-crc.js" npm run bench
import { crc32 } from 'node:zlib';
import { ZipPassThrough } from 'fflate';

ZipPassThrough.prototype.push = function push(chunk, final) {
  this.running = crc32(chunk, this.running ?? 0);
  this.size += chunk.length;
  if (final) this.crc = this.running;
  this.process(chunk, final || false);
};
