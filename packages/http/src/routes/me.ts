import { z } from 'zod';
import { eraseOwner, erasureTargetText, type OwnerErasure } from '@selfie-lora/core';
import { ownerOf } from '../auth.js';
import { domainErrorReply } from '../problem.js';
import { problemResponses } from '../schemas.js';
import { ownerSecurity, type App, type RouteContext } from './context.js';

const erasureReportSchema = z.object({
  canceledTrainingId: z.string().nullable(),
  uploadsDeleted: z.number().int(),
  modelsErased: z.number().int(),
  erasures: z.array(
    z.object({
      kind: z.string(),
      target: z.string(),
      state: z.enum(['pending', 'done', 'refused']),
      attempt: z.number().int(),
      notBefore: z.string().nullable(),
      lastError: z.string().nullable(),
    }),
  ),
});

/** What an owner's erasure did and what is still owed (retried by the worker) or was refused. */
export function erasureReportJson(report: OwnerErasure): z.infer<typeof erasureReportSchema> {
  return {
    canceledTrainingId: report.canceled?.id ?? null,
    uploadsDeleted: report.uploadsDeleted,
    modelsErased: report.modelsErased,
    erasures: report.erasures.map((erasure) => ({
      kind: erasure.target.kind,
      target: erasureTargetText(erasure.target),
      state: erasure.state,
      attempt: erasure.attempt,
      notBefore: erasure.notBefore?.toISOString() ?? null,
      lastError: erasure.lastError,
    })),
  };
}

export function meRoutes(app: App, { deps, owner }: RouteContext): void {
  // 202: what could not be erased yet is owed and carried out by the worker; the report says which.
  app.delete(
    '/v1/me',
    {
      onRequest: owner,
      schema: {
        tags: ['privacy'],
        summary: 'Erase everything held about the owner: photos, training ZIPs, trained versions at the trainer; models marked erased',
        security: ownerSecurity,
        response: { 202: erasureReportSchema, ...problemResponses },
      },
    },
    (request, reply) =>
      eraseOwner(deps, { ownerId: ownerOf(request) }).match(
        (report) => {
          reply.code(202);
          return erasureReportJson(report);
        },
        (error) => domainErrorReply(reply, error),
      ),
  );
}
