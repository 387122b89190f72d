import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../src/postgres/index.js';
import { PostgresPipelineLeases } from '../../src/postgres/pipeline-leases.js';
import { anOwner } from '../contracts/repositories.fixtures.js';
import { Seed } from './support/seed.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');

describe('postgres pipeline leases', () => {
  let database: TestDatabase;
  let db: PostgresDatabase;
  let leases: PostgresPipelineLeases;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = await database.open();
    leases = (await PostgresPipelineLeases.open({ url: database.url }))._unsafeUnwrap();
  });
  afterAll(async () => {
    await leases.close();
    await database.drop();
  });

  it('gives every inserted pipeline a schedule row, due at once and unleased', async () => {
    const { p } = await new Seed(db).queued(anOwner());
    const client = await database.client();
    const rows = await client.query<{ due: boolean; leased_by: string | null }>(
      `SELECT next_check_at <= now() AS due, leased_by FROM pipeline_schedule WHERE pipeline_id = $1`,
      [p.id],
    );
    expect(rows.rows).toEqual([{ due: true, leased_by: null }]);
    (await leases.claim({ workerId: 'w1', limit: 10, leaseMs: 1_000, now: NOW }))._unsafeUnwrap();
    (await leases.release({ workerId: 'w1', id: p.id }))._unsafeUnwrap();
  });

  it('skips a row another transaction holds instead of waiting for it', async () => {
    const seed = new Seed(db);
    const held = (await seed.queued(anOwner())).p.id;
    const free = (await seed.queued(anOwner())).p.id;
    const client = await database.client();
    await client.query('BEGIN');
    try {
      await client.query('SELECT 1 FROM pipeline_schedule WHERE pipeline_id = $1 FOR UPDATE', [held]);
      // Would block until the rollback below (a deadlock of the test) without SKIP LOCKED.
      const claimed = (await leases.claim({ workerId: 'w2', limit: 10, leaseMs: 1_000, now: NOW }))._unsafeUnwrap();
      expect(claimed).toContain(free);
      expect(claimed).not.toContain(held);
    } finally {
      await client.query('ROLLBACK');
    }
    const later = new Date(NOW.getTime() + 1);
    expect((await leases.claim({ workerId: 'w3', limit: 10, leaseMs: 1_000, now: later }))._unsafeUnwrap()).toContain(held);
  });

  it('refuses to open on a database that was never migrated', async () => {
    const bare = await createTestDatabase();
    try {
      const opened = await PostgresPipelineLeases.open({ url: bare.url });
      expect(opened._unsafeUnwrapErr().code).toBe('persistence.unavailable');
    } finally {
      await bare.drop();
    }
  });
});
