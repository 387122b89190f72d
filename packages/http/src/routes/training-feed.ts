import type { OwnerId, PipelineId } from '@selfie-lora/core';

/** What one read of a watched training gives every stream of it. */
export type FeedRead<S> = (ownerId: OwnerId, id: PipelineId) => Promise<S>;

interface Watched<S> {
  readonly ownerId: OwnerId;
  readonly id: PipelineId;
  readonly listeners: Set<(snapshot: S) => void>;
}

/**
 * One poller for every open events stream of the process (issue 15, point 4): each tick reads
 * each watched training once, one read after another, and hands the snapshot to all its
 * streams. So the database sees at most one read per distinct watched training per tick, never
 * one per stream, and never more at once than one; the per-owner cap bounds how many an owner
 * can make it watch.
 */
export class TrainingFeed<S> {
  private readonly watched = new Map<string, Watched<S>>();
  private readonly streamsPerOwner = new Map<OwnerId, number>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly read: FeedRead<S>,
    private readonly options: { readonly pollMs: number; readonly maxStreamsPerOwner: number },
  ) {}

  /** Subscribes a stream; null when the owner already has `maxStreamsPerOwner` open. Call the returned function once to leave. */
  open(ownerId: OwnerId, id: PipelineId, listener: (snapshot: S) => void): (() => void) | null {
    const open = this.streamsPerOwner.get(ownerId) ?? 0;
    if (open >= this.options.maxStreamsPerOwner || this.stopped) return null;
    this.streamsPerOwner.set(ownerId, open + 1);
    const key = JSON.stringify([ownerId, id]);
    const entry = this.watched.get(key) ?? { ownerId, id, listeners: new Set() };
    entry.listeners.add(listener);
    this.watched.set(key, entry);
    this.schedule();
    let left = false;
    return () => {
      if (left) return;
      left = true;
      entry.listeners.delete(listener);
      if (entry.listeners.size === 0) this.watched.delete(key);
      const now = (this.streamsPerOwner.get(ownerId) ?? 1) - 1;
      if (now === 0) this.streamsPerOwner.delete(ownerId);
      else this.streamsPerOwner.set(ownerId, now);
    };
  }

  /** Streams open for this owner. */
  streamsOf(ownerId: OwnerId): number {
    return this.streamsPerOwner.get(ownerId) ?? 0;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer !== null || this.stopped || this.watched.size === 0) return;
    this.timer = setTimeout(() => void this.tick(), this.options.pollMs);
  }

  private async tick(): Promise<void> {
    for (const entry of [...this.watched.values()]) {
      if (entry.listeners.size === 0) continue;
      let snapshot: S;
      try {
        snapshot = await this.read(entry.ownerId, entry.id);
      } catch {
        continue; // reads report failures as snapshots; a throw is a bug, and the next tick tries again
      }
      for (const listener of [...entry.listeners]) listener(snapshot);
    }
    this.timer = null;
    this.schedule();
  }
}
