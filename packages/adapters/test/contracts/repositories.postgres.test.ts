import { createTestDatabase } from '../postgres/support/test-database.js';
import { describeRepositoryContract } from './repositories.contract.js';

// One freshly created and migrated database for this file, dropped at the end.
describeRepositoryContract('postgres', async () => {
  const database = await createTestDatabase();
  return { uow: await database.open(), close: () => database.drop() };
});
