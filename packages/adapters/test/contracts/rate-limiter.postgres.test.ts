import { PostgresRateLimiter } from '../../src/postgres/postgres-rate-limiter.js';
import { createTestDatabase } from '../postgres/support/test-database.js';
import { describeRateLimiterContract } from './rate-limiter.contract.js';

// A fresh, migrated database per test; two limiters with pools of their own, as two processes.
describeRateLimiterContract('postgres', async () => {
  const database = await createTestDatabase();
  await database.open();
  const limiter = (await PostgresRateLimiter.open({ url: database.url }))._unsafeUnwrap();
  const other = (await PostgresRateLimiter.open({ url: database.url, poolSize: 4 }))._unsafeUnwrap();
  return {
    limiter,
    other,
    close: async () => {
      await limiter.close();
      await other.close();
      await database.drop();
    },
  };
});
