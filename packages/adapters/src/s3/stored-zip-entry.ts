import { ZipPassThrough } from 'fflate';
import { crc32 } from 'node:zlib';

/**
 * A stored (uncompressed) ZIP entry whose CRC-32 is computed natively: fflate's own `push`
 * runs a byte-at-a-time JavaScript loop, the largest CPU cost of packaging (docs/benchmarks.md).
 */
export class StoredZipEntry extends ZipPassThrough {
  private running = 0;

  override push(chunk: Uint8Array, final = false): void {
    this.running = crc32(chunk, this.running);
    this.size += chunk.length;
    if (final) this.crc = this.running;
    this.process(chunk as Uint8Array<ArrayBuffer>, final);
  }
}
