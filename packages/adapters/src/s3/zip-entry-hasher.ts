import { crc32 } from 'node:zlib';
import { err, ok, type Result } from 'neverthrow';
import type { PackageEntry } from '@selfie-lora/core';
import { ByteMeter } from './s3-streams.js';

/** One entry as the central directory describes it (stored, so its data is its content). */
export interface CentralEntry {
  readonly name: string;
  readonly nameRaw: Uint8Array;
  readonly localHeaderOffset: number;
  readonly byteSize: number;
  readonly crc32: number;
}

const LOCAL_HEADER_BYTES = 30;
const LOCAL_HEADER_SIGNATURE = 0x04034b50;

/**
 * Hashes every entry of a ZIP in one sequential pass over the archive, at the offsets and sizes
 * the central directory gives. Never scans the data for signatures (the fflate streaming-unzip
 * pitfall: a photo that contains `PK\x07\x08` would be cut short). Memory: one local header.
 */
export class ZipEntryHasher {
  private readonly order: readonly CentralEntry[];
  private readonly hashed = new Map<CentralEntry, PackageEntry>();
  private position = 0;
  private index = 0;
  private phase: 'gap' | 'header' | 'data' = 'gap';
  private header = Buffer.alloc(LOCAL_HEADER_BYTES);
  private headerFill = 0;
  private headerParsed = false;
  private dataLeft = 0;
  private meter = new ByteMeter();
  private crc = 0;
  private failure: string | null = null;

  constructor(
    private readonly entries: readonly CentralEntry[],
    archiveSize: number,
  ) {
    this.order = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
    const beyond = this.order.find((entry) => entry.localHeaderOffset + LOCAL_HEADER_BYTES + entry.byteSize > archiveSize);
    if (beyond) this.failure = `entry ${beyond.name} lies beyond the end of the archive`;
  }

  write(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.byteLength && this.failure === null && this.index < this.order.length) {
      const entry = this.order[this.index]!;
      const available = chunk.byteLength - at;
      let taken: number;
      if (this.phase === 'gap') {
        const gap = entry.localHeaderOffset - this.position;
        if (gap < 0) {
          this.failure = `entry ${entry.name} overlaps the entry before it`;
          break;
        }
        taken = Math.min(gap, available);
        if (taken === gap) this.startHeader();
      } else if (this.phase === 'header') {
        taken = Math.min(this.header.length - this.headerFill, available);
        this.header.set(chunk.subarray(at, at + taken), this.headerFill);
        this.headerFill += taken;
        if (this.headerFill === this.header.length) this.headerDone(entry);
      } else {
        taken = Math.min(this.dataLeft, available);
        const piece = chunk.subarray(at, at + taken);
        this.meter.update(piece);
        this.crc = crc32(piece, this.crc);
        this.dataLeft -= taken;
        if (this.dataLeft === 0) this.entryDone(entry);
      }
      at += taken;
      this.position += taken;
    }
    this.position += chunk.byteLength - at;
  }

  /** The entries in central-directory order with their measured SHA-256, or why the ZIP is unreadable. */
  finish(): Result<PackageEntry[], string> {
    if (this.failure !== null) return err(this.failure);
    if (this.index < this.order.length) return err(`the archive ends inside entry ${this.order[this.index]!.name}`);
    return ok(this.entries.map((entry) => this.hashed.get(entry)!));
  }

  private startHeader(): void {
    this.phase = 'header';
    this.header = Buffer.alloc(LOCAL_HEADER_BYTES);
    this.headerFill = 0;
    this.headerParsed = false;
  }

  private headerDone(entry: CentralEntry): void {
    if (!this.headerParsed) {
      this.headerParsed = true;
      if (this.header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
        this.failure = `no local header where the central directory puts entry ${entry.name}`;
        return;
      }
      if (this.header.readUInt16LE(8) !== 0) {
        this.failure = `entry ${entry.name} is compressed in its local header`;
        return;
      }
      const variable = this.header.readUInt16LE(26) + this.header.readUInt16LE(28);
      if (variable > 0) {
        const full = Buffer.alloc(LOCAL_HEADER_BYTES + variable);
        this.header.copy(full);
        this.header = full;
        return;
      }
    }
    const nameLength = this.header.readUInt16LE(26);
    const localName = this.header.subarray(LOCAL_HEADER_BYTES, LOCAL_HEADER_BYTES + nameLength);
    if (!localName.equals(entry.nameRaw)) {
      // Two names for one entry: unzip tools disagree on which counts, so neither does.
      this.failure = `entry ${entry.name} has another name in its local header`;
      return;
    }
    this.phase = 'data';
    this.dataLeft = entry.byteSize;
    this.meter = new ByteMeter();
    this.crc = 0;
    if (this.dataLeft === 0) this.entryDone(entry);
  }

  private entryDone(entry: CentralEntry): void {
    if (this.crc >>> 0 !== entry.crc32 >>> 0) {
      this.failure = `entry ${entry.name} does not match its CRC-32`;
      return;
    }
    this.hashed.set(entry, { name: entry.name, sha256: this.meter.digest(), byteSize: this.meter.byteSize });
    this.index += 1;
    this.phase = 'gap';
  }
}
