import { MemoryRateLimiter } from '../../src/memory/memory-rate-limiter.js';
import { describeRateLimiterContract } from './rate-limiter.contract.js';

// One process: "another instance" is the same limiter, as every caller in a process shares one.
describeRateLimiterContract('memory', () => {
  const limiter = new MemoryRateLimiter();
  return Promise.resolve({ limiter, other: limiter, close: () => Promise.resolve() });
});
