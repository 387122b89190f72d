import type { ResultAsync } from 'neverthrow';
import type { PipelineId } from '../domain/ids.js';
import type { PersistenceError } from './repositories.js';

export interface ClaimRequest {
  readonly workerId: string;
  readonly limit: number;
  /** How long the claim holds: a worker that dies loses its leases after this long. */
  readonly leaseMs: number;
  readonly now: Date;
}

/**
 * Which worker runs which unfinished pipeline, and when each is next due. Unfinished means
 * active, or ended with a package still to delete (`needsCleanup`). Several workers may share
 * one store: a pipeline is leased to at most one live worker at a time.
 */
export interface PipelineLeases {
  /** Leases up to `limit` due pipelines (next check at or before `now`) that no live lease holds, until now + leaseMs. */
  claim(request: ClaimRequest): ResultAsync<readonly PipelineId[], PersistenceError>;
  /** Gives the lease back; the pipeline is next due at `until` (waiting for the trainer or a retry time). */
  defer(request: { readonly workerId: string; readonly id: PipelineId; readonly until: Date }): ResultAsync<void, PersistenceError>;
  /** Gives the lease back; the pipeline is due at once (if still unfinished). */
  release(request: { readonly workerId: string; readonly id: PipelineId }): ResultAsync<void, PersistenceError>;
  /**
   * Extends `workerId`'s lease on `id` to `until`, while a step runs longer than the lease. Answers
   * false, and changes nothing, when `workerId` no longer holds it: given back (`defer`,
   * `release`), expired and claimed by another worker, or the pipeline is gone. A lease that
   * expired but nobody claimed meanwhile is still its holder's and may be renewed: nobody else
   * can have run a step of it since.
   */
  renew(request: { readonly workerId: string; readonly id: PipelineId; readonly until: Date }): ResultAsync<boolean, PersistenceError>;
}
