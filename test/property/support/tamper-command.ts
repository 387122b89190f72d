import { packageKey, uploadKey } from '@selfie-lora/core';
import { WorldCommand } from './world-command.js';
import { describeIndex, expectOk, ownerIdOf, pick, type Model, type World } from './world.js';

export const TAMPERINGS = ['replace photo', 'flip photo byte', 'delete photo', 'replace zip', 'flip zip byte', 'delete zip'] as const;
export type Tampering = (typeof TAMPERINGS)[number];

function flipped(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  const at = Math.floor(copy.byteLength / 2);
  copy[at] = (copy[at]! + 1) % 256;
  return copy;
}

/**
 * Someone with bucket access changes storage behind the core's back. Only existing objects are
 * touched: this is tampering, not the creation of new files.
 */
export class TamperStorage extends WorldCommand {
  constructor(
    readonly kind: Tampering,
    readonly owner: string,
    readonly index: number,
    readonly source: number,
  ) {
    super();
  }

  private get onPhoto(): boolean {
    return this.kind.includes('photo');
  }

  override check(model: Readonly<Model>): boolean {
    return (this.onPhoto ? model.uploads : model.pipelines)[this.owner]!.length > 0;
  }

  protected async act(model: Model, world: World): Promise<void> {
    const store = world.core.store;
    const ownerId = ownerIdOf(this.owner);
    const pipelineId = pick(model.pipelines[this.owner]!, this.index);
    const key = this.onPhoto ? uploadKey(ownerId, pick(model.uploads[this.owner]!, this.index)!) : packageKey(ownerId, pipelineId!);
    const current = store.getBytes(key);
    if (!current) return;
    if (this.kind === 'delete photo' || this.kind === 'delete zip') {
      expectOk(await store.delete(key), String(this));
    } else if (this.kind === 'flip photo byte' || this.kind === 'flip zip byte') {
      store.setBytes(key, flipped(current));
    } else if (this.kind === 'replace photo') {
      const photos = world.pool.photos;
      const replacement = photos[this.source % photos.length]!.bytes;
      store.setBytes(key, Buffer.compare(replacement, current) === 0 ? photos[(this.source + 1) % photos.length]!.bytes : replacement);
    } else {
      // Another pipeline's package (maybe another owner's), or else a photo: the wrong content.
      const others = store.keys().filter((k) => k.startsWith('trainings/') && k !== key);
      const other = others.length > 0 ? store.getBytes(others[this.source % others.length]!) : undefined;
      store.setBytes(key, other ?? world.pool.photos[this.source % world.pool.photos.length]!.bytes);
    }
  }

  toString(): string {
    const what = this.onPhoto ? 'upload' : 'pipeline';
    return `attacker.tamper(${this.kind} of ${this.owner}'s ${what} ${describeIndex(this.index)}, source ${this.source})`;
  }
}
