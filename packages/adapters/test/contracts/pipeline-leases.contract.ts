import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isUnfinished, type PipelineId, type PipelineLeases, type UnitOfWork } from '@selfie-lora/core';
import { Seed, verdicts } from '../postgres/support/seed.js';
import { aPipelineId, anOwner, cleanedUp, failed } from './repositories.fixtures.js';

export interface LeasesHarness {
  readonly uow: UnitOfWork;
  readonly leases: PipelineLeases;
  /** The same leases through another connection (another worker process), where the adapter has one. */
  readonly other: PipelineLeases;
  close(): Promise<void>;
}

const T = new Date('2026-03-01T12:00:00.000Z');
const later = (ms: number) => new Date(T.getTime() + ms);
const LEASE = 30_000;

/**
 * What every PipelineLeases implementation must do. Time is the injected `now`: a lease expires
 * because the caller says it is later, never because the test waited.
 */
export function describePipelineLeasesContract(name: string, open: () => Promise<LeasesHarness>): void {
  describe(`pipeline leases contract: ${name}`, () => {
    let h: LeasesHarness;
    let seed: Seed;
    beforeEach(async () => {
      h = await open();
      seed = new Seed(h.uow);
    });
    afterEach(async () => {
      await h.close();
    });

    const claim = async (leases: PipelineLeases, workerId: string, now = T, limit = 10) =>
      [...(await leases.claim({ workerId, limit, leaseMs: LEASE, now }))._unsafeUnwrap()].sort();
    const active = async () => (await seed.queued(anOwner())).p.id;
    const sorted = (ids: readonly PipelineId[]) => [...ids].sort();

    it('claims due unfinished pipelines only: active ones and ended ones whose package awaits deletion', async () => {
      const queued = await active();
      const training = (await seed.training(anOwner())).p;
      const endedWithPackage = await seed.save(failed((await seed.training(anOwner())).p));
      const endedClean = await seed.save(cleanedUp(await seed.save(failed((await seed.training(anOwner())).p))));
      const endedBeforePackaging = await seed.save(failed((await seed.queued(anOwner())).p));
      expect(endedClean.packageDeletedAt).not.toBeNull();
      expect(endedBeforePackaging.status).toBe('failed');

      expect(await claim(h.leases, 'w1')).toEqual(sorted([queued, training.id, endedWithPackage.id]));
    });

    it('claims exactly the pipelines the core calls unfinished (isUnfinished), in every lifecycle state', async () => {
      const all = await seed.everyLifecycleState();
      const claimed = new Set(await claim(h.leases, 'w1', T, all.length + 1));
      expect(verdicts(all, (p) => claimed.has(p.id))).toEqual(verdicts(all, isUnfinished));
    });

    it('never claims a terminal, clean pipeline, even once its lease is released', async () => {
      const ended = await seed.save(failed((await seed.training(anOwner())).p));
      expect(await claim(h.leases, 'w1')).toEqual([ended.id]);
      await seed.save(cleanedUp(ended));
      (await h.leases.release({ workerId: 'w1', id: ended.id }))._unsafeUnwrap();
      expect(await claim(h.leases, 'w2', later(LEASE * 10))).toEqual([]);
    });

    it('keeps a leased pipeline from other workers until the lease expires', async () => {
      const id = await active();
      expect(await claim(h.leases, 'w1')).toEqual([id]);
      expect(await claim(h.other, 'w2')).toEqual([]);
      expect(await claim(h.other, 'w2', later(LEASE - 1))).toEqual([]);
      // w1 died holding it: the lease runs out and another worker resumes the pipeline.
      expect(await claim(h.other, 'w2', later(LEASE))).toEqual([id]);
      expect(await claim(h.leases, 'w1', later(LEASE + 1))).toEqual([]);
    });

    it('defer makes the pipeline due again only at the given time', async () => {
      const id = await active();
      expect(await claim(h.leases, 'w1')).toEqual([id]);
      (await h.leases.defer({ workerId: 'w1', id, until: later(60_000) }))._unsafeUnwrap();
      expect(await claim(h.other, 'w2', later(59_999))).toEqual([]);
      expect(await claim(h.other, 'w2', later(60_000))).toEqual([id]);
    });

    it('release makes the pipeline due at once', async () => {
      const id = await active();
      expect(await claim(h.leases, 'w1')).toEqual([id]);
      (await h.leases.release({ workerId: 'w1', id }))._unsafeUnwrap();
      expect(await claim(h.other, 'w2')).toEqual([id]);
    });

    it('ignores a defer or release from a worker whose lease expired and was taken over', async () => {
      const id = await active();
      expect(await claim(h.leases, 'w1')).toEqual([id]);
      expect(await claim(h.other, 'w2', later(LEASE))).toEqual([id]);
      (await h.leases.release({ workerId: 'w1', id }))._unsafeUnwrap();
      (await h.leases.defer({ workerId: 'w1', id, until: T }))._unsafeUnwrap();
      expect(await claim(h.leases, 'w3', later(LEASE + 1))).toEqual([]);
    });

    const renew = async (leases: PipelineLeases, workerId: string, id: PipelineId, until: Date) =>
      (await leases.renew({ workerId, id, until }))._unsafeUnwrap();

    it('renew by the holder extends its lease to the given time', async () => {
      const id = await active();
      expect(await claim(h.leases, 'w1')).toEqual([id]);
      expect(await renew(h.leases, 'w1', id, later(LEASE * 3))).toBe(true);
      expect(await claim(h.other, 'w2', later(LEASE))).toEqual([]);
      expect(await claim(h.other, 'w2', later(LEASE * 3 - 1))).toEqual([]);
      expect(await claim(h.other, 'w2', later(LEASE * 3))).toEqual([id]);
    });

    it('renew by a worker that does not hold the lease answers false and changes nothing', async () => {
      const id = await active();
      expect(await claim(h.leases, 'w1')).toEqual([id]);
      expect(await renew(h.other, 'w2', id, later(LEASE * 3))).toBe(false);
      expect(await claim(h.other, 'w3', later(LEASE - 1))).toEqual([]);
      // w1's lease ends when it did, and w2 gained none.
      expect(await claim(h.other, 'w3', later(LEASE))).toEqual([id]);
    });

    it('renew of a pipeline that does not exist answers false', async () => {
      const id = await active();
      expect(await claim(h.leases, 'w1')).toEqual([id]);
      expect(await renew(h.leases, 'w1', aPipelineId(), later(LEASE * 3))).toBe(false);
    });

    it('renew after release answers false: the pipeline stays due at once', async () => {
      const id = await active();
      expect(await claim(h.leases, 'w1')).toEqual([id]);
      (await h.leases.release({ workerId: 'w1', id }))._unsafeUnwrap();
      expect(await renew(h.leases, 'w1', id, later(LEASE * 3))).toBe(false);
      expect(await claim(h.other, 'w2')).toEqual([id]);
    });

    it('renew after defer answers false: the pipeline is due at the deferred time, not leased', async () => {
      const id = await active();
      expect(await claim(h.leases, 'w1')).toEqual([id]);
      (await h.leases.defer({ workerId: 'w1', id, until: later(1_000) }))._unsafeUnwrap();
      expect(await renew(h.leases, 'w1', id, later(LEASE * 3))).toBe(false);
      expect(await claim(h.other, 'w2', later(999))).toEqual([]);
      expect(await claim(h.other, 'w2', later(1_000))).toEqual([id]);
    });

    it('renew after the lease expired and another worker claimed it answers false; the new lease stands', async () => {
      const id = await active();
      expect(await claim(h.leases, 'w1')).toEqual([id]);
      expect(await claim(h.other, 'w2', later(LEASE))).toEqual([id]);
      expect(await renew(h.leases, 'w1', id, later(LEASE * 10))).toBe(false);
      expect(await claim(h.leases, 'w3', later(LEASE * 2 - 1))).toEqual([]);
      expect(await claim(h.leases, 'w3', later(LEASE * 2))).toEqual([id]);
    });

    it('renew of an expired lease nobody claimed since succeeds: it is still the holder\'s', async () => {
      const id = await active();
      expect(await claim(h.leases, 'w1')).toEqual([id]);
      // Renew takes no `now`: it answers from who holds the lease, not from whether its time ran
      // out. Here the holder is late (its lease ended at later(LEASE)) and nobody claimed since.
      expect(await renew(h.leases, 'w1', id, later(1))).toBe(true);
      expect(await renew(h.leases, 'w1', id, later(LEASE * 3))).toBe(true);
      expect(await claim(h.other, 'w2', later(LEASE * 2))).toEqual([]);
      expect(await claim(h.other, 'w2', later(LEASE * 3))).toEqual([id]);
    });

    it('claims at most `limit` pipelines, the longest due first', async () => {
      const [a, b, c] = [await active(), await active(), await active()];
      expect(await claim(h.leases, 'w1')).toEqual(sorted([a, b, c]));
      (await h.leases.defer({ workerId: 'w1', id: a, until: later(3) }))._unsafeUnwrap();
      (await h.leases.defer({ workerId: 'w1', id: b, until: later(1) }))._unsafeUnwrap();
      (await h.leases.defer({ workerId: 'w1', id: c, until: later(2) }))._unsafeUnwrap();
      expect(await claim(h.other, 'w2', later(10), 2)).toEqual(sorted([b, c]));
      expect(await claim(h.other, 'w3', later(10), 2)).toEqual([a]);
    });

    it('never gives the same pipeline to two claims made at once', async () => {
      const ids = [];
      for (let i = 0; i < 12; i += 1) ids.push(await active());
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) => claim(i % 2 === 0 ? h.leases : h.other, `w${i}`, T, 3)),
      );
      const all = claims.flat();
      expect(new Set(all).size).toBe(all.length);
      expect(sorted(all)).toEqual(sorted(ids));
    });
  });
}
