import { createScratchDatabase, type ScratchDatabase } from '@selfie-lora/testkit/postgres';
import { createPostgresDatabase, type PostgresDatabase } from '../../../src/postgres/index.js';

export interface TestDatabase extends Pick<ScratchDatabase, 'name' | 'url' | 'client'> {
  /** Connects and migrates through the adapter. */
  open(options?: { schema?: string }): Promise<PostgresDatabase>;
  /** Closes everything opened here and drops the database. */
  drop(): Promise<void>;
}

/** A freshly created, empty database of its own (testkit's scratch database), opened through the adapter. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const scratch = await createScratchDatabase('adapters_test');
  const databases: PostgresDatabase[] = [];
  return {
    name: scratch.name,
    url: scratch.url,
    client: () => scratch.client(),
    open: async (options = {}) => {
      const database = (await createPostgresDatabase({ url: scratch.url, ...options }))._unsafeUnwrap();
      databases.push(database);
      return database;
    },
    drop: async () => {
      await Promise.all(databases.map((database) => database.close()));
      await scratch.forceDrop();
    },
  };
}
