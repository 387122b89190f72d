import { Readable } from 'node:stream';
import { z } from 'zod';
import { getTraining, isTerminalStatus } from '@selfie-lora/core';
import { ownerOf } from '../auth.js';
import { trainingJson } from '../mappers.js';
import { domainErrorReply, domainProblem, problem, problemReply, type Problem } from '../problem.js';
import { idParams, problemResponses, type TrainingJson } from '../schemas.js';
import { ownerSecurity, type App, type RouteContext } from './context.js';
import { TrainingFeed, type FeedRead } from './training-feed.js';
import { pipelineIdFrom } from './trainings.js';

const DEFAULT_POLL_MS = 1000;
const DEFAULT_HEARTBEAT_MS = 15_000;

/** Open streams per owner and how long one lives (docs/security.md "Events streams"). */
export interface EventsLimits {
  readonly maxStreamsPerOwner: number;
  readonly maxLifetimeMs: number;
}

export const DEFAULT_EVENTS_LIMITS: EventsLimits = { maxStreamsPerOwner: 5, maxLifetimeMs: 30 * 60_000 };

/** A stream ends within its lifetime, so a slot frees up soon; this paces a client that retries at once. */
const TOO_MANY_RETRY_AFTER_SECONDS = 30;
const TOO_MANY_DETAIL = (max: number) => `You already follow ${max} trainings live. Please close one (another tab or device) and try again.`;

type Snapshot = { readonly kind: 'training'; readonly training: TrainingJson } | { readonly kind: 'problem'; readonly problem: Problem };

function sse(event: string, id: number, data: unknown): string {
  return `event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The latest snapshots the feed handed this stream, until it takes them. */
class SnapshotQueue {
  private readonly pending: Snapshot[] = [];
  private wake: (() => void) | null = null;

  push(snapshot: Snapshot): void {
    this.pending.push(snapshot);
    this.wake?.();
  }

  /** The next snapshot, or null once `signal` aborts (the client left, or the stream's lifetime is over). */
  async next(signal: AbortSignal): Promise<Snapshot | null> {
    while (this.pending.length === 0) {
      if (signal.aborted) return null;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      this.wake = null;
    }
    return signal.aborted ? null : this.pending.shift()!;
  }
}

/**
 * Emits the training whenever anything in it changed (status, steps, evidence, failure, model),
 * as the shared feed reads it; ends after a terminal status, when the client leaves, or when the
 * stream's lifetime is over (the client's EventSource reconnects, and is authenticated again).
 */
async function* trainingEvents(
  queue: SnapshotQueue,
  first: TrainingJson,
  timing: { readonly pollMs: number; readonly heartbeatMs: number; readonly signal: AbortSignal; readonly leave: () => void },
): AsyncGenerator<string> {
  let sent = 1;
  let last = JSON.stringify(first);
  let quietMs = 0;
  let status = first.status;
  try {
    yield `retry: ${Math.max(timing.pollMs, 1000)}\n\n${sse('training', sent, first)}`;
    while (!isTerminalStatus(status)) {
      const next = await queue.next(timing.signal);
      if (next === null) return;
      if (next.kind === 'problem') {
        yield sse('problem', (sent += 1), next.problem);
        return;
      }
      const text = JSON.stringify(next.training);
      if (text !== last) {
        last = text;
        status = next.training.status;
        quietMs = 0;
        yield sse('training', (sent += 1), next.training);
      } else if ((quietMs += timing.pollMs) >= timing.heartbeatMs) {
        quietMs = 0;
        yield ': keep-alive\n\n';
      }
    }
  } finally {
    timing.leave();
  }
}

/** Fastify sends a returned stream as it is (no serializer); the typed route only names a string. */
function streamedBody(stream: Readable): string {
  return stream as unknown as string;
}

function reader(route: RouteContext): FeedRead<Snapshot> {
  return (ownerId, id) =>
    getTraining(route.deps, ownerId, id).match(
      ({ pipeline, model }): Snapshot => ({ kind: 'training', training: trainingJson(pipeline, model) }),
      (error): Snapshot => ({ kind: 'problem', problem: domainProblem(error) }),
    );
}

export function trainingEventRoutes(app: App, route: RouteContext): void {
  const pollMs = route.options.eventsPollIntervalMs ?? DEFAULT_POLL_MS;
  const limits = { ...DEFAULT_EVENTS_LIMITS, ...route.options.eventsLimits };
  const feed = new TrainingFeed(reader(route), { pollMs, maxStreamsPerOwner: limits.maxStreamsPerOwner });
  // Closing the server ends every stream (they would otherwise hold `close` for their lifetime).
  const closing = new AbortController();
  app.addHook('preClose', (done) => {
    closing.abort();
    feed.stop();
    done();
  });
  app.get(
    '/v1/trainings/:id/events',
    {
      onRequest: route.owner,
      schema: {
        tags: ['trainings'],
        summary: 'Server-sent events: a "training" event (the training JSON) whenever it changes; ends at a terminal status',
        security: ownerSecurity,
        params: idParams,
        response: {
          200: {
            description: 'text/event-stream; each event named "training" carries the training as JSON',
            content: { 'text/event-stream': { schema: z.string() } },
          },
          ...problemResponses,
        },
      },
    },
    (request, reply) => {
      const ownerId = ownerOf(request);
      return pipelineIdFrom(request.params.id)
        .asyncAndThen((id) => getTraining(route.deps, ownerId, id).map((found) => ({ id, found })))
        .match(
          ({ id, found }) => {
            const first = trainingJson(found.pipeline, found.model);
            const queue = new SnapshotQueue();
            // A terminal training is sent once and the stream ends: it watches nothing.
            const leave = isTerminalStatus(first.status) ? () => undefined : feed.open(ownerId, id, (snapshot) => queue.push(snapshot));
            if (leave === null) {
              reply.header('retry-after', String(TOO_MANY_RETRY_AFTER_SECONDS));
              return problemReply(reply, problem(429, 'events.too_many_streams', TOO_MANY_DETAIL(limits.maxStreamsPerOwner)));
            }
            const leaving = new AbortController();
            reply.raw.on('close', () => {
              leaving.abort();
              leave();
            });
            const events = trainingEvents(queue, first, {
              pollMs,
              heartbeatMs: route.options.eventsHeartbeatMs ?? DEFAULT_HEARTBEAT_MS,
              signal: AbortSignal.any([leaving.signal, closing.signal, AbortSignal.timeout(limits.maxLifetimeMs)]),
              leave,
            });
            reply
              .header('content-type', 'text/event-stream; charset=utf-8')
              .header('cache-control', 'no-cache, no-transform')
              .header('x-accel-buffering', 'no');
            return streamedBody(Readable.from(events, { objectMode: false }));
          },
          (error) => domainErrorReply(reply, error),
        );
    },
  );
}
