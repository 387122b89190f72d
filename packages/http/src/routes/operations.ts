import { err } from 'neverthrow';
import { z } from 'zod';
import { problem, problemReply } from '../problem.js';
import { problemResponses } from '../schemas.js';
import type { App, RouteContext } from './context.js';

export function operationRoutes(app: App, { options }: RouteContext): void {
  app.get(
    '/healthz',
    { schema: { tags: ['operations'], summary: 'The process is up', response: { 200: z.object({ status: z.literal('ok') }) } } },
    () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'The database and object storage answer',
        response: { 200: z.object({ status: z.literal('ready') }), ...problemResponses },
      },
    },
    async (_request, reply) => {
      // A check that throws instead of answering counts as not ready, never as a 500.
      const ready = options.readiness
        ? await options.readiness().catch(() => err({ code: 'service.not_ready', message: 'The service is not ready yet. Please try again shortly.' }))
        : null;
      return ready === null
        ? { status: 'ready' as const }
        : ready.match(
            () => ({ status: 'ready' as const }),
            (error) => problemReply(reply, problem(503, error.code, error.message)),
          );
    },
  );

  app.get(
    '/openapi.json',
    { schema: { tags: ['operations'], summary: 'This OpenAPI document' } },
    () => app.swagger(),
  );
}
