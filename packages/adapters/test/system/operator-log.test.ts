import { describe, expect, it } from 'vitest';
import { domainError, transientError } from '@selfie-lora/core';
import { createOperatorLogger, OperatorEventLog } from '../../src/index.js';

/** A logger writing into an array of parsed JSON lines. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createOperatorLogger({ name: 'test', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  return { logger, lines };
}

describe('the operator logger', () => {
  it('logs a domain error with its code, message and detail as one JSON line with a level (never [object Object])', () => {
    const { logger, lines } = capture();
    logger.error({ err: transientError('persistence.unavailable', 'connect ECONNREFUSED 127.0.0.1:5432') }, 'worker: a step failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: 'worker: a step failed',
      err: { code: 'persistence.unavailable', message: expect.any(String) as unknown, detail: 'connect ECONNREFUSED 127.0.0.1:5432', transient: true },
    });
    expect(JSON.stringify(lines[0])).not.toContain('[object Object]');
  });

  it('logs an exception with its cause chain', () => {
    const { logger, lines } = capture();
    const cause = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    logger.error({ err: new Error('HeadBucket failed', { cause }) }, 'readiness');
    expect(lines[0]).toMatchObject({ err: { message: 'HeadBucket failed', cause: { code: 'ECONNRESET', message: 'socket hang up' } } });
  });

  it("writes the core's events as lines: refusals and failures at warn, the rest at info", () => {
    const { logger, lines } = capture();
    const log = new OperatorEventLog(logger);
    log.record({ kind: 'trainer_report.ignored', detail: { code: domainError('trainer.unknown_training').code } });
    log.record({ kind: 'trainer.training_adopted', detail: { pipelineId: 'p1' } });
    expect(lines.map((line) => [line['level'], line['event']])).toEqual([
      [40, 'trainer_report.ignored'],
      [30, 'trainer.training_adopted'],
    ]);
  });
});
