// The test server for tests that need Postgres: scratch databases, plain connections, SQL with triggers off.
export { outOfBand } from './out-of-band.js';
export { connectSql } from './plain-connection.js';
export { createScratchDatabase, type ScratchDatabase } from './scratch-database.js';
export { onTestServer, TEST_SERVER_URL, testServerUrlFor } from './test-server.js';
