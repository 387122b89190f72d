import { okAsync, type ResultAsync } from 'neverthrow';
import type { ClaimRequest, PersistenceError, PipelineId, PipelineLeases, UnitOfWork } from '@selfie-lora/core';

interface Schedule {
  nextCheckAt: number;
  leasedBy: string | null;
  leasedUntil: number;
}

/**
 * Leases in memory, for workers sharing one process (tests, dry runs). The set of unfinished
 * pipelines comes from the database itself (`listUnfinished`), so a pipeline needs no schedule
 * entry to be due: one without an entry is due at once, as in the Postgres adapter.
 */
export class MemoryPipelineLeases implements PipelineLeases {
  private readonly schedule = new Map<string, Schedule>();

  constructor(private readonly uow: UnitOfWork) {}

  claim({ workerId, limit, leaseMs, now }: ClaimRequest): ResultAsync<readonly PipelineId[], PersistenceError> {
    const at = now.getTime();
    return this.uow
      .transaction((repos) => repos.pipelines.listUnfinished())
      .map((unfinished) => {
        // Runs without an await between reading and leasing: claims cannot interleave here.
        const claimed: PipelineId[] = [];
        const live = new Set<string>(unfinished);
        // A finished pipeline's entry goes once no live lease holds it, so its holder can still renew.
        for (const [id, entry] of this.schedule) {
          if (!live.has(id) && (entry.leasedBy === null || entry.leasedUntil <= at)) this.schedule.delete(id);
        }
        const due = unfinished
          .map((id) => ({ id, entry: this.schedule.get(id) ?? { nextCheckAt: 0, leasedBy: null, leasedUntil: 0 } }))
          .filter(({ entry }) => entry.nextCheckAt <= at && (entry.leasedBy === null || entry.leasedUntil <= at))
          .sort((a, b) => a.entry.nextCheckAt - b.entry.nextCheckAt);
        for (const { id, entry } of due.slice(0, Math.max(0, limit))) {
          this.schedule.set(id, { ...entry, leasedBy: workerId, leasedUntil: at + leaseMs });
          claimed.push(id);
        }
        return claimed;
      });
  }

  defer({ workerId, id, until }: { workerId: string; id: PipelineId; until: Date }): ResultAsync<void, PersistenceError> {
    this.giveBack(workerId, id, until.getTime());
    return okAsync(undefined);
  }

  release({ workerId, id }: { workerId: string; id: PipelineId }): ResultAsync<void, PersistenceError> {
    this.giveBack(workerId, id, 0);
    return okAsync(undefined);
  }

  // The holder is whoever claimed last: a claim of an expired lease replaces `leasedBy`, and a
  // give-back clears it.
  renew({ workerId, id, until }: { workerId: string; id: PipelineId; until: Date }): ResultAsync<boolean, PersistenceError> {
    const entry = this.schedule.get(id);
    if (entry?.leasedBy !== workerId) return okAsync(false);
    this.schedule.set(id, { ...entry, leasedUntil: until.getTime() });
    return okAsync(true);
  }

  // Only the holder gives a lease back: one that expired and was claimed by another stays theirs.
  private giveBack(workerId: string, id: PipelineId, nextCheckAt: number): void {
    const entry = this.schedule.get(id);
    if (entry?.leasedBy !== workerId) return;
    this.schedule.set(id, { nextCheckAt, leasedBy: null, leasedUntil: 0 });
  }
}
