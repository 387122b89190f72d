import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { getTraining, isTerminalStatus, type OwnerId, type PipelineId } from '@selfie-lora/core';
import { ownerOf } from '../auth.js';
import { trainingJson } from '../mappers.js';
import { domainErrorReply, domainProblem, type Problem } from '../problem.js';
import { idParams, problemResponses, type TrainingJson } from '../schemas.js';
import { ownerSecurity, type App, type RouteContext } from './context.js';
import { pipelineIdFrom } from './trainings.js';

const DEFAULT_POLL_MS = 1000;
const DEFAULT_HEARTBEAT_MS = 15_000;

type Snapshot = { readonly kind: 'training'; readonly training: TrainingJson } | { readonly kind: 'problem'; readonly problem: Problem };

function sse(event: string, id: number, data: unknown): string {
  return `event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Re-reads the training every `pollMs` and emits it whenever anything in it changed (status,
 * steps, evidence, failure, model); ends after a terminal status, or when the client leaves.
 */
async function* trainingEvents(
  read: () => Promise<Snapshot>,
  first: TrainingJson,
  timing: { readonly pollMs: number; readonly heartbeatMs: number; readonly signal: AbortSignal },
): AsyncGenerator<string> {
  let sent = 1;
  let last = JSON.stringify(first);
  let quietMs = 0;
  let status = first.status;
  yield `retry: ${Math.max(timing.pollMs, 1000)}\n\n${sse('training', sent, first)}`;
  while (!isTerminalStatus(status)) {
    try {
      await sleep(timing.pollMs, undefined, { signal: timing.signal });
    } catch {
      return; // the client went away
    }
    const next = await read();
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
}

/** Fastify sends a returned stream as it is (no serializer); the typed route only names a string. */
function streamedBody(stream: Readable): string {
  return stream as unknown as string;
}

function reader(route: RouteContext, ownerId: OwnerId, id: PipelineId): () => Promise<Snapshot> {
  return () =>
    getTraining(route.deps, ownerId, id).match(
      ({ pipeline, model }): Snapshot => ({ kind: 'training', training: trainingJson(pipeline, model) }),
      (error): Snapshot => ({ kind: 'problem', problem: domainProblem(error) }),
    );
}

export function trainingEventRoutes(app: App, route: RouteContext): void {
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
            const leaving = new AbortController();
            reply.raw.on('close', () => leaving.abort());
            const events = trainingEvents(reader(route, ownerId, id), trainingJson(found.pipeline, found.model), {
              pollMs: route.options.eventsPollIntervalMs ?? DEFAULT_POLL_MS,
              heartbeatMs: route.options.eventsHeartbeatMs ?? DEFAULT_HEARTBEAT_MS,
              signal: leaving.signal,
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
