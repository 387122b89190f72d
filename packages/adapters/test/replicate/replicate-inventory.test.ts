import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestInfo } from '@selfie-lora/replicate-simulator';
import { destinationA, startHarness, type Harness } from './support/harness.js';

// What the Replicate adapter adds to the inventory contract: listings span pages, and a listing
// it cannot read completely is an error, never a shorter list.

const NOW = new Date('2026-03-01T12:00:00.000Z');
const TRAININGS = '/v1/trainings';
const VERSIONS = '/v1/models/selfie-lora/selfie-lora-aaaa/versions';
type Json = Record<string, unknown>;

let h: Harness;

beforeEach(async () => {
  h = await startHarness({ now: () => NOW });
});
afterEach(async () => {
  await h.close();
});

/** Matches only the `n`th answer to `path` (1 = the first page of the next listing). */
function nth(path: string, n: number): (request: RequestInfo) => boolean {
  let seen = 0;
  return (request) => request.path === path && ++seen === n;
}

/** Rewrites the first item of a page. */
const firstItem = (rewrite: (item: Json) => unknown) => (body: unknown) => {
  const page = body as { results: Json[] };
  return { ...page, results: [rewrite(page.results[0]!), ...page.results.slice(1)] };
};

async function submitted(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    ids.push((await h.trainer().submit(await h.submission(`pipe-${i}`, [100 + i])))._unsafeUnwrap().trainerTrainingId);
  }
  return ids;
}

function planted(count: number): string[] {
  return Array.from({ length: count }, (_, i) => h.sim.control.plantVersion('selfie-lora/selfie-lora-aaaa', String(i + 1).repeat(64)));
}

const pagesOf = (path: string) => h.sim.control.requests.filter((r) => r.method === 'GET' && r.path === path).length;

describe('ReplicateTrainer inventory: whole listings across pages', () => {
  it('listTrainings follows every page: each training once, most recent first', async () => {
    h.sim.control.setKnobs({ pageSize: 2 });
    const ids = await submitted(5);
    const before = pagesOf(TRAININGS);
    const listed = (await h.trainer().listTrainings())._unsafeUnwrap();
    expect(pagesOf(TRAININGS) - before).toBe(3);
    expect(listed.map((t) => t.trainerTrainingId)).toEqual([...ids].reverse());
    expect(listed[0]).toEqual({
      trainerTrainingId: ids[4],
      destination: destinationA,
      webhook: null,
      status: 'starting',
      outputVersion: null,
      createdAt: NOW,
      // Read from its input URL (`trainings/<ownerRef>/pipe-4/training.zip`), as findSubmission reads it.
      pipelineId: 'pipe-4',
    });
  });

  it('listVersions follows every page: each version once, most recent first', async () => {
    h.sim.control.setKnobs({ pageSize: 2 });
    const versions = planted(5);
    const listed = (await h.trainer().listVersions(destinationA))._unsafeUnwrap();
    expect(pagesOf(VERSIONS)).toBe(3);
    expect(listed).toEqual([...versions].reverse().map((version) => ({ version, createdAt: NOW })));
  });

  it('more pages than maxAuditPages is an error, never the pages read so far', async () => {
    h.sim.control.setKnobs({ pageSize: 1 });
    await submitted(3);
    planted(3);
    const bounded = h.trainer({ maxAuditPages: 2 });
    expect((await bounded.listTrainings())._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.invalid_response', detail: expect.stringMatching(/more than 2 pages/) as string });
    expect((await bounded.listVersions(destinationA))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.invalid_response' });
    const enough = h.trainer({ maxAuditPages: 3 });
    expect((await enough.listTrainings())._unsafeUnwrap()).toHaveLength(3);
    expect((await enough.listVersions(destinationA))._unsafeUnwrap()).toHaveLength(3);
  });

  it('the audit bound is not the findSubmission bound', async () => {
    h.sim.control.setKnobs({ pageSize: 1 });
    await submitted(3);
    expect((await h.trainer({ maxListPages: 1 }).listTrainings())._unsafeUnwrap()).toHaveLength(3);
  });
});

describe('ReplicateTrainer inventory: a page that fails its schema fails the listing (trainer.invalid_response)', () => {
  const brokenTrainings: [string, (body: unknown) => unknown][] = [
    ['results that are not a list', (body) => ({ ...(body as Json), results: 'none' })],
    ['a body that is JSON null', () => null],
    ['a training without an id', firstItem(({ id: _id, ...rest }) => rest)],
    ['a created_at that is not an instant', firstItem((t) => ({ ...t, created_at: 'yesterday' }))],
    ['a mistyped webhook', firstItem((t) => ({ ...t, webhook: 42 }))],
    ['a malformed destination', firstItem((t) => ({ ...t, destination: 'no slash here' }))],
    ['a succeeded training without an output version', firstItem((t) => ({ ...t, status: 'succeeded', output: null }))],
    ['an output version that is not owner/name:hash', firstItem((t) => ({ ...t, status: 'succeeded', output: { version: 'latest' } }))],
    ['a next link to another host (it would carry our token)', (body) => ({ ...(body as Json), next: 'https://collector.example/v1/trainings?cursor=1' })],
  ];
  it.each(brokenTrainings)('listTrainings, on a later page: %s', async (_name, rewrite) => {
    h.sim.control.setKnobs({ pageSize: 1 });
    await submitted(3);
    h.sim.control.tamper({ match: nth(TRAININGS, 2), rewrite });
    expect((await h.trainer().listTrainings())._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.invalid_response' });
    // The same listing, untampered, reads whole: the error came from that page.
    expect((await h.trainer().listTrainings())._unsafeUnwrap()).toHaveLength(3);
  });

  const brokenVersions: [string, (body: unknown) => unknown][] = [
    ['results that are not a list', (body) => ({ ...(body as Json), results: null })],
    ['a body that is JSON null (not the same as a missing model)', () => null],
    ['a version without an id', firstItem(({ id: _id, ...rest }) => rest)],
    ['a version id that could steer a path', firstItem((v) => ({ ...v, id: '../x' }))],
    ['a created_at that is not an instant', firstItem((v) => ({ ...v, created_at: 1700000000 }))],
  ];
  it.each(brokenVersions)('listVersions, on a later page: %s', async (_name, rewrite) => {
    h.sim.control.setKnobs({ pageSize: 1 });
    planted(3);
    h.sim.control.tamper({ match: nth(VERSIONS, 2), rewrite });
    expect((await h.trainer().listVersions(destinationA))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.invalid_response' });
    expect((await h.trainer().listVersions(destinationA))._unsafeUnwrap()).toHaveLength(3);
  });

  it('a first answer that is JSON null is malformed, not a missing model', async () => {
    planted(1);
    h.sim.control.tamper({ match: nth(VERSIONS, 1), rewrite: () => null });
    expect((await h.trainer().listVersions(destinationA))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.invalid_response' });
  });

  it('a body that is not JSON', async () => {
    await submitted(1);
    planted(1);
    h.sim.control.setKnobs({ malformedJson: 1 });
    expect((await h.trainer().listTrainings())._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.invalid_response' });
    h.sim.control.setKnobs({ malformedJson: 1 });
    expect((await h.trainer().listVersions(destinationA))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.invalid_response' });
  });
});

describe('ReplicateTrainer inventory: transport trouble is transient trainer.unavailable', () => {
  it('a later page answered 503 past the client retries', async () => {
    h.sim.control.setKnobs({ pageSize: 1 });
    await submitted(2);
    let listed = 0;
    h.sim.control.setKnobs({ serverErrors: 6, faultsOn: (r) => r.path === TRAININGS && ++listed >= 2 });
    const before = h.sim.control.requests.length;
    expect((await h.trainer().listTrainings())._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.unavailable', transient: true });
    // The first page, then the second page tried 1 + 5 times.
    expect(h.sim.control.requests.slice(before).map((r) => r.status)).toEqual([200, 503, 503, 503, 503, 503, 503]);
  });
});

describe('ReplicateTrainer listRecentTrainings: only the pages the poll sweep needs', () => {
  let clock = NOW.getTime();
  let timed: Harness;
  beforeEach(async () => {
    clock = NOW.getTime();
    timed = await startHarness({ now: () => new Date(clock) });
    timed.sim.control.setKnobs({ pageSize: 2 });
  });
  afterEach(async () => {
    await timed.close();
  });

  /** Trainings one minute apart; answers their ids, oldest first. */
  async function spaced(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      clock += 60_000;
      ids.push((await timed.trainer().submit(await timed.submission(`pipe-${i}`, [200 + i])))._unsafeUnwrap().trainerTrainingId);
    }
    return ids;
  }
  const pages = () => timed.sim.control.requests.filter((r) => r.method === 'GET' && r.path === TRAININGS).length;

  it('stops at the first page that reaches back past the time asked', async () => {
    const ids = await spaced(7);
    const before = pages();
    // The three newest were created at or after `since`: two pages hold them (2 a page).
    const since = new Date(NOW.getTime() + 5 * 60_000);
    const recent = (await timed.trainer().listRecentTrainings(since))._unsafeUnwrap();
    expect(pages() - before).toBe(2);
    expect(recent.map((t) => t.trainerTrainingId)).toEqual([ids[6], ids[5], ids[4], ids[3]]);
  });

  it('reads no more than maxListPages pages: a shorter answer, not an error (the rest is polled one by one)', async () => {
    const ids = await spaced(7);
    const before = pages();
    const recent = (await timed.trainer({ maxListPages: 2 }).listRecentTrainings(new Date(0)))._unsafeUnwrap();
    expect(pages() - before).toBe(2);
    expect(recent.map((t) => t.trainerTrainingId)).toEqual([ids[6], ids[5], ids[4], ids[3]]);
  });

  it('a page that fails its schema is an error, never a guess', async () => {
    await spaced(3);
    timed.sim.control.tamper({ match: nth(TRAININGS, 1), rewrite: firstItem((item) => ({ ...item, status: 'exploded' })) });
    expect((await timed.trainer().listRecentTrainings(new Date(0)))._unsafeUnwrapErr().code).toBe('trainer.invalid_response');
  });
});

