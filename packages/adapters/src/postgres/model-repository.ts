import { z } from 'zod';
import type { Model, ModelId, Models, OwnerId, PipelineId } from '@selfie-lora/core';
import { restoreModel } from '@selfie-lora/core/persistence';
import { conflict } from './postgres-errors.js';
import { modelIdColumn, ownerIdColumn, parseRow, parseRows, pipelineIdColumn, sha256Column, uploadIdColumn } from './row-schemas.js';
import { exactlyOne, type SqlSession } from './sql-session.js';

const modelRow = z
  .object({
    id: modelIdColumn,
    owner_id: ownerIdColumn,
    pipeline_id: pipelineIdColumn,
    destination_owner: z.string(),
    destination_name: z.string(),
    version: z.string(),
    status: z.enum(['active', 'quarantined', 'erased']),
    quarantine_reason: z.string().nullable(),
    training_set: z.array(z.object({ uploadId: uploadIdColumn, sha256: sha256Column })).min(1),
    created_at: z.date(),
    revision: z.number().int(),
  })
  .transform(
    (row): Model =>
      restoreModel({
      id: row.id,
      ownerId: row.owner_id,
      pipelineId: row.pipeline_id,
      destination: { owner: row.destination_owner, name: row.destination_name },
      version: row.version,
      status: row.status,
      quarantineReason: row.quarantine_reason,
      trainingSet: row.training_set,
      createdAt: row.created_at,
      revision: row.revision,
      }),
  );

const COLUMNS =
  'id, owner_id, pipeline_id, destination_owner, destination_name, version, status, quarantine_reason, training_set, created_at, revision';

function values(model: Model): unknown[] {
  return [
    model.id,
    model.ownerId,
    model.pipelineId,
    model.destination.owner,
    model.destination.name,
    model.version,
    model.status,
    model.quarantineReason,
    JSON.stringify(model.trainingSet.map((item) => ({ uploadId: item.uploadId, sha256: item.sha256 }))),
    model.createdAt,
    model.revision,
  ];
}

/**
 * The schema ties each model to the succeeded pipeline of its owner (foreign key on pipeline id,
 * owner and status) and to exactly that pipeline's training set, destination and version (I5, I6).
 */
export function modelRepository(session: SqlSession): Models {
  return {
    getById: (id: ModelId) =>
      session
        .read(`SELECT ${COLUMNS} FROM models WHERE id = $1`, [id])
        .andThen((rows) => parseRows(modelRow, rows, 'model'))
        .map((models) => models[0] ?? null),

    listByOwner: (ownerId: OwnerId) =>
      session
        .read(`SELECT ${COLUMNS} FROM models WHERE owner_id = $1 ORDER BY created_at, id COLLATE "C"`, [ownerId])
        .andThen((rows) => parseRows(modelRow, rows, 'model')),

    findByPipeline: (pipelineId: PipelineId) =>
      session
        .read(`SELECT ${COLUMNS} FROM models WHERE pipeline_id = $1`, [pipelineId])
        .andThen((rows) => parseRows(modelRow, rows, 'model'))
        .map((models) => models[0] ?? null),

    insert: (model: Model) =>
      session.write((sql) =>
        sql(`INSERT INTO models (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11) RETURNING ${COLUMNS}`, values(model))
          .andThen((rows) => exactlyOne(rows, () => conflict(`model ${model.id} was not inserted`)))
          .andThen((row) => parseRow(modelRow, row, 'model')),
      ),

    update: (model: Model) =>
      session.write((sql) =>
        sql(
          `UPDATE models SET owner_id = $2, pipeline_id = $3, destination_owner = $4, destination_name = $5, version = $6,
             status = $7, quarantine_reason = $8, training_set = $9::jsonb, created_at = $10, revision = revision + 1
           WHERE id = $1 AND revision = $11 RETURNING ${COLUMNS}`,
          values(model),
        )
          .andThen((rows) => exactlyOne(rows, () => conflict(`model ${model.id} is not at revision ${model.revision}`)))
          .andThen((row) => parseRow(modelRow, row, 'model')),
      ),
  };
}
