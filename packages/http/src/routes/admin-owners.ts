import { z } from 'zod';
import { domainError, eraseOwner, listErasures, OwnerId } from '@selfie-lora/core';
import { domainErrorReply } from '../problem.js';
import { problemResponses } from '../schemas.js';
import { adminSecurity, type App, type RouteContext } from './context.js';
import { erasureRecordJson, erasureRecordsSchema, erasureReportJson, erasureReportSchema } from './me.js';

// No pattern here: the core's OwnerId judges the id and answers `owner.invalid_id` (422).
const ownerParams = z.object({ ownerId: z.string().describe("The owner's id: the subject of their tokens") });

const ownerIdFrom = (value: string) => OwnerId.parse(value).mapErr(() => domainError('owner.invalid_id'));

const erasureStateSchema = z
  .object({
    ownerId: z.string(),
    pending: z.number().int().describe('Owed still: the worker carries them out as they fall due'),
    done: z.number().int(),
    refused: z.number().int().describe('The trainer will not delete these: an operator must act'),
    erasures: erasureRecordsSchema,
  })
  .meta({ id: 'OwnerErasureState' });

/** An operator's erasure of one owner (the same use case and report as `DELETE /v1/me`), and its state. */
export function adminOwnerRoutes(app: App, { deps, admin }: RouteContext): void {
  app.delete(
    '/v1/admin/owners/:ownerId',
    {
      onRequest: admin,
      schema: {
        tags: ['admin'],
        summary: "Erases an owner as `DELETE /v1/me` does (`npm run erase-owner`); 202 with what is done, owed or refused. Repeating it repeats what is not done.",
        security: adminSecurity,
        params: ownerParams,
        response: { 202: erasureReportSchema, ...problemResponses },
      },
    },
    (request, reply) =>
      ownerIdFrom(request.params.ownerId)
        .asyncAndThen((ownerId) => eraseOwner(deps, { ownerId }))
        .match(
          (report) => {
            reply.code(202);
            return erasureReportJson(report);
          },
          (error) => domainErrorReply(reply, error),
        ),
  );

  app.get(
    '/v1/admin/owners/:ownerId/erasure',
    {
      onRequest: admin,
      schema: {
        tags: ['admin'],
        summary: "Every erasure recorded for an owner (a deleted photo, the owner's erasure, retention) and its state; empty for an owner never erased",
        security: adminSecurity,
        params: ownerParams,
        response: { 200: erasureStateSchema, ...problemResponses },
      },
    },
    (request, reply) =>
      ownerIdFrom(request.params.ownerId)
        .asyncAndThen((ownerId) => listErasures(deps, ownerId).map((erasures) => ({ ownerId, erasures })))
        .match(
          ({ ownerId, erasures }) => ({
            ownerId,
            pending: erasures.filter((e) => e.state === 'pending').length,
            done: erasures.filter((e) => e.state === 'done').length,
            refused: erasures.filter((e) => e.state === 'refused').length,
            erasures: erasures.map(erasureRecordJson),
          }),
          (error) => domainErrorReply(reply, error),
        ),
  );
}
