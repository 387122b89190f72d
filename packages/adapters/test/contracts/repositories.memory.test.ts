import { MemoryDatabase } from '../../src/memory/memory-database.js';
import { describeRepositoryContract } from './repositories.contract.js';

describeRepositoryContract('in memory', () => Promise.resolve({ uow: new MemoryDatabase(), close: () => Promise.resolve() }));
