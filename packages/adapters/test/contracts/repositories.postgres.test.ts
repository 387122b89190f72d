import { eraseOwnerRows } from '../postgres/support/erase-owner-rows.js';
import { createTestDatabase } from '../postgres/support/test-database.js';
import { describeRepositoryContract } from './repositories.contract.js';

// One freshly created and migrated database per harness (the file's, and one per owners test), dropped at the end.
describeRepositoryContract('postgres', async () => {
  const database = await createTestDatabase();
  const uow = await database.open();
  const sql = await database.client();
  return { uow, eraseOutOfBand: (table, ownerId) => eraseOwnerRows(sql, table, ownerId), close: () => database.drop() };
});
