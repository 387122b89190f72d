import type { S3Bucket } from '../../../src/s3/index.js';

export interface SentCommand {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

export interface CommandEvent extends SentCommand {
  readonly phase: 'start' | 'end' | 'fail';
}

export interface CommandLog {
  /** Every command's start and outcome, in order. */
  readonly events: readonly CommandEvent[];
  /** Names of the commands sent, in order. */
  names(): string[];
  /** Inputs of the commands of one name, in the order sent. */
  inputs(name: string): Record<string, unknown>[];
  /** The most requests of this command in flight at once. */
  maxInFlight(name: string): number;
  stop(): void;
}

let counter = 0;

/**
 * Records what a client sends (above the SDK's retries), and lets a test delay or fail a
 * command before it leaves: `before` may wait, or throw what S3 would have answered.
 */
export function logCommands(s3: S3Bucket, before: (command: SentCommand) => Promise<void> | void = () => undefined): CommandLog {
  const events: CommandEvent[] = [];
  const inFlight = new Map<string, number>();
  const most = new Map<string, number>();
  const name = `command-log-${(counter += 1)}`;
  s3.client.middlewareStack.add(
    (next, context) => async (args) => {
      const command: SentCommand = { name: context.commandName ?? 'unknown', input: args.input as Record<string, unknown> };
      events.push({ ...command, phase: 'start' });
      const now = (inFlight.get(command.name) ?? 0) + 1;
      inFlight.set(command.name, now);
      most.set(command.name, Math.max(most.get(command.name) ?? 0, now));
      try {
        await before(command);
        const output = await next(args);
        events.push({ ...command, phase: 'end' });
        return output;
      } catch (error) {
        events.push({ ...command, phase: 'fail' });
        throw error;
      } finally {
        inFlight.set(command.name, (inFlight.get(command.name) ?? 1) - 1);
      }
    },
    { step: 'initialize', name },
  );
  return {
    events,
    names: () => events.filter((event) => event.phase === 'start').map((event) => event.name),
    inputs: (wanted) => events.filter((event) => event.phase === 'start' && event.name === wanted).map((event) => event.input),
    maxInFlight: (wanted) => most.get(wanted) ?? 0,
    stop: () => {
      s3.client.middlewareStack.remove(name);
    },
  };
}

/** What the SDK throws for a 500 from S3. */
export function internalError(): Error {
  return Object.assign(new Error('We encountered an internal error. Please try again.'), {
    name: 'InternalError',
    $metadata: { httpStatusCode: 500 },
  });
}
