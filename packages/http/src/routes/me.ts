import { z } from 'zod';
import { ERASURE_REASONS, eraseOwner, erasureTargetText, exportOwnerData, type Erasure, type OwnerDataExport, type OwnerErasure } from '@selfie-lora/core';
import { ownerOf } from '../auth.js';
import { modelJson, pendingUploadJson, trainingJson, uploadJson } from '../mappers.js';
import { domainErrorReply } from '../problem.js';
import { modelSchema, pendingUploadSchema, problemResponses, trainingSchema, uploadSchema } from '../schemas.js';
import { ownerSecurity, type App, type RouteContext } from './context.js';

export const erasureReportSchema = z.object({
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
}).meta({ id: 'OwnerErasureReport' });

const isoDate = z.iso.datetime({ offset: true });

const erasureRecordSchema = z.object({
  kind: z.enum(['object', 'objects', 'trainer_version', 'trainer_model']),
  target: z.string().describe('An object key, a storage prefix, a trainer version or owner/name of a trainer model'),
  reason: z.enum(ERASURE_REASONS),
  state: z.enum(['pending', 'done', 'refused']),
  requestedAt: isoDate,
  attempt: z.number().int(),
  notBefore: isoDate.nullable(),
  finishedAt: isoDate.nullable(),
  lastError: z.string().nullable(),
});

/** One erasure as recorded (the export, and the operator's view of an owner's erasure). */
export function erasureRecordJson(erasure: Erasure): z.infer<typeof erasureRecordSchema> {
  return {
    kind: erasure.target.kind,
    target: erasureTargetText(erasure.target),
    reason: erasure.reason,
    state: erasure.state,
    requestedAt: erasure.requestedAt.toISOString(),
    attempt: erasure.attempt,
    notBefore: erasure.notBefore?.toISOString() ?? null,
    finishedAt: erasure.finishedAt?.toISOString() ?? null,
    lastError: erasure.lastError,
  };
}

export const erasureRecordsSchema = z.array(erasureRecordSchema);

const ownerExportSchema = z
  .object({
    ownerId: z.string(),
    exportedAt: isoDate,
    uploads: z.array(uploadSchema.extend({ deletedAt: isoDate.nullable() })).describe('Every photo ever stored, deleted ones too (their bytes are gone)'),
    pending: z.array(pendingUploadSchema).describe('Photos received and still being checked, or refused (kept a week with the reason)'),
    trainings: z
      .array(
        trainingSchema.extend({
          triggerWord: z.string(),
          idempotencyKey: z.string().nullable(),
          restartOf: z.string().nullable(),
          modelVersion: z.string().nullable().describe('The trainer version it produced, if it succeeded'),
        }),
      )
      .describe('Every training with its steps and their evidence'),
    models: z
      .array(modelSchema.extend({ quarantineReason: z.string().nullable(), createdAt: isoDate }))
      .describe('Every model, erased and quarantined ones too, with its training set (provenance)'),
    erasures: erasureRecordsSchema.describe('Erasures owed, done or refused'),
  })
  .meta({ id: 'OwnerExport' });

function ownerExportJson(data: OwnerDataExport): z.infer<typeof ownerExportSchema> {
  return {
    ownerId: data.ownerId,
    exportedAt: data.exportedAt.toISOString(),
    uploads: data.uploads.map((upload) => ({ ...uploadJson(upload), deletedAt: upload.deletedAt?.toISOString() ?? null })),
    pending: data.pendingUploads.map(pendingUploadJson),
    trainings: data.trainings.map((pipeline) => ({
      ...trainingJson(
        pipeline,
        data.models.find((m) => m.pipelineId === pipeline.id) ?? null,
      ),
      triggerWord: pipeline.triggerWord,
      idempotencyKey: pipeline.idempotencyKey,
      restartOf: pipeline.restartOf,
      modelVersion: pipeline.status === 'succeeded' ? pipeline.modelVersion : null,
    })),
    models: data.models.map((model) => ({ ...modelJson(model), quarantineReason: model.quarantineReason, createdAt: model.createdAt.toISOString() })),
    erasures: data.erasures.map(erasureRecordJson),
  };
}

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
  app.get(
    '/v1/me/export',
    {
      onRequest: owner,
      schema: {
        tags: ['privacy'],
        summary: 'Everything stored about the owner, as one JSON file: photos (hashes, checks), trainings (steps, evidence), models (provenance), erasures',
        security: ownerSecurity,
        response: { 200: ownerExportSchema, ...problemResponses },
      },
    },
    (request, reply) =>
      exportOwnerData(deps, { ownerId: ownerOf(request) }).match(
        (data) => {
          reply.header('content-disposition', 'attachment; filename="selfie-lora-export.json"');
          return ownerExportJson(data);
        },
        (error) => domainErrorReply(reply, error),
      ),
  );

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
