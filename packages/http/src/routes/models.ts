import { z } from 'zod';
import { listModels } from '@selfie-lora/core';
import { ownerOf } from '../auth.js';
import { modelJson } from '../mappers.js';
import { domainErrorReply } from '../problem.js';
import { modelSchema, problemResponses } from '../schemas.js';
import { ownerSecurity, type App, type RouteContext } from './context.js';

export function modelRoutes(app: App, { deps, owner }: RouteContext): void {
  app.get(
    '/v1/models',
    {
      onRequest: owner,
      schema: {
        tags: ['models'],
        summary: "The owner's models, each with its provenance: the training and the photos (SHA-256) it was made from",
        security: ownerSecurity,
        response: { 200: z.object({ models: z.array(modelSchema) }), ...problemResponses },
      },
    },
    (request, reply) =>
      listModels(deps, ownerOf(request)).match(
        (models) => ({ models: models.map(modelJson) }),
        (error) => domainErrorReply(reply, error),
      ),
  );
}
