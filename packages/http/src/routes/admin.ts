import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import {
  AUDIT_VIOLATION_KINDS,
  auditIntegrity,
  defaultAuditPolicy,
  domainError,
  ModelId,
  quarantineModel,
  releaseModel,
  type AuditViolationKind,
  type Model,
} from '@selfie-lora/core';
import { auditReportJson } from '../audit/audit-report-json.js';
import { modelJson } from '../mappers.js';
import { domainErrorReply } from '../problem.js';
import { idParams, modelSchema, problemResponses } from '../schemas.js';
import { adminSecurity, type App, type RouteContext } from './context.js';

const kinds = Object.keys(AUDIT_VIOLATION_KINDS) as [AuditViolationKind, ...AuditViolationKind[]];

const auditReportSchema = z
  .object({
    checkedAt: z.string(),
    scanned: z.object({
      owners: z.number().int(),
      uploads: z.number().int(),
      pipelines: z.number().int(),
      models: z.number().int(),
      objects: z.number().int(),
      trainings: z.number().int(),
      destinations: z.number().int(),
      versions: z.number().int(),
    }),
    skipped: z.array(z.string()).describe('Checks that could not run, and why'),
    violations: z.array(
      z.looseObject({ kind: z.enum(kinds), ownerId: z.string().nullable() }).describe('One finding; its other fields are the evidence, by kind'),
    ),
    quarantined: z.array(z.string()).describe('Models this run put in quarantine'),
    quarantineFailed: z
      .array(z.object({ modelId: z.string(), code: z.string(), message: z.string() }))
      .describe('Models this run could not quarantine, and why'),
  })
  .meta({ id: 'AuditReport' });

const adminModelSchema = modelSchema.extend({ ownerId: z.string(), quarantineReason: z.string().nullable() }).meta({ id: 'AdminModel' });

/** An id that cannot be valid names no model. */
const modelIdFrom = (value: string) => ModelId.parse(value).mapErr(() => domainError('model.not_found'));

const adminModelJson = (model: Model) => ({ ...modelJson(model), ownerId: model.ownerId, quarantineReason: model.quarantineReason });

/** Operator routes: the audit and the quarantine of one model, behind the admin token. */
export function adminRoutes(app: App, { deps, admin, options }: RouteContext): void {
  const runAudit = (reply: FastifyReply, quarantine: boolean) =>
    auditIntegrity(deps, { policy: options.auditPolicy ?? defaultAuditPolicy, quarantine }).match(auditReportJson, (error) =>
      domainErrorReply(reply, error),
    );

  app.get(
    '/v1/admin/audit',
    {
      onRequest: admin,
      schema: {
        tags: ['admin'],
        summary: 'Reconciles the database with object storage and the trainer; reports every integrity violation (reads only)',
        security: adminSecurity,
        response: { 200: auditReportSchema, ...problemResponses },
      },
    },
    (_request, reply) => runAudit(reply, false),
  );

  app.post(
    '/v1/admin/audit/quarantine',
    {
      onRequest: admin,
      schema: {
        tags: ['admin'],
        summary: 'Runs the audit and quarantines every model a violation implicates (`npm run audit -- --quarantine`); deletes nothing',
        security: adminSecurity,
        response: { 200: auditReportSchema, ...problemResponses },
      },
    },
    (_request, reply) => runAudit(reply, true),
  );

  app.post(
    '/v1/admin/models/:id/quarantine',
    {
      onRequest: admin,
      schema: {
        tags: ['admin'],
        summary: 'Takes one model out of service with a reason (never served; nothing is deleted). Idempotent.',
        security: adminSecurity,
        params: idParams,
        // No length bound here: the core judges the reason (1 to 500 characters once trimmed) and
        // answers 422 for any length; the JSON body limit bounds what is read.
        body: z.strictObject({ reason: z.string().describe('Why, for operators: 1 to 500 characters once trimmed, no control characters') }),
        response: { 200: z.object({ model: adminModelSchema }), ...problemResponses },
      },
    },
    (request, reply) =>
      modelIdFrom(request.params.id)
        .asyncAndThen((modelId) => quarantineModel(deps, { modelId, reason: request.body.reason }))
        .match(
          (model) => ({ model: adminModelJson(model) }),
          (error) => domainErrorReply(reply, error),
        ),
  );

  app.post(
    '/v1/admin/models/:id/release',
    {
      onRequest: admin,
      schema: {
        tags: ['admin'],
        summary: 'Returns a quarantined model to service. Idempotent.',
        security: adminSecurity,
        params: idParams,
        response: { 200: z.object({ model: adminModelSchema }), ...problemResponses },
      },
    },
    (request, reply) =>
      modelIdFrom(request.params.id)
        .asyncAndThen((modelId) => releaseModel(deps, { modelId }))
        .match(
          (model) => ({ model: adminModelJson(model) }),
          (error) => domainErrorReply(reply, error),
        ),
  );
}
