import { errAsync, okAsync, Result, type ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { OwnerId, PersistenceError, PipelineId, Pipelines, TrainingPipeline, TrainingSet } from '@selfie-lora/core';
import { conflict, constraint } from './postgres-errors.js';
import { PIPELINE_SELECT, stateOf, toPipeline, trainerTrainingIdOf } from './pipeline-row.js';
import { parseRows, pipelineIdColumn } from './row-schemas.js';
import { exactlyOne, type Sql, type SqlSession } from './sql-session.js';
import { unfinishedPipelineSql } from './unfinished-pipeline-sql.js';

const TERMINAL = `('succeeded', 'failed', 'canceled')`;

const awaitedRow = z.object({ id: pipelineIdColumn, trainer_training_id: z.string().min(1), created_at: z.date() });

function many(rows: readonly unknown[]): Result<TrainingPipeline[], PersistenceError> {
  return Result.combine(rows.map((row) => toPipeline(row)));
}

function first(rows: readonly unknown[]): Result<TrainingPipeline | null, PersistenceError> {
  return many(rows).map((pipelines) => pipelines[0] ?? null);
}

function sameItems(a: TrainingSet, b: TrainingSet): boolean {
  return (
    a.ownerId === b.ownerId &&
    a.items.length === b.items.length &&
    a.items.every((item, index) => {
      const other = b.items[index];
      return (
        other !== undefined &&
        item.uploadId === other.uploadId &&
        item.sha256 === other.sha256 &&
        item.byteSize === other.byteSize &&
        item.contentType === other.contentType
      );
    })
  );
}

/** Reads back one pipeline with its items inside the current write. */
function reread(sql: Sql, id: PipelineId): ResultAsync<TrainingPipeline, PersistenceError> {
  return sql(`${PIPELINE_SELECT} WHERE p.id = $1`, [id])
    .andThen((rows) => exactlyOne(rows, () => conflict(`pipeline ${id} vanished`)))
    .andThen((row) => toPipeline(row));
}

function insertItems(sql: Sql, pipeline: TrainingPipeline): ResultAsync<void, PersistenceError> {
  const items = pipeline.trainingSet.items;
  return sql(
    `INSERT INTO pipeline_items (pipeline_id, owner_id, item_count, upload_id, position, sha256, byte_size, content_type)
     SELECT $1, $2, $3, item.upload_id, item.ordinality - 1, item.sha256, item.byte_size, item.content_type
       FROM unnest($4::text[], $5::text[], $6::bigint[], $7::text[])
            WITH ORDINALITY AS item (upload_id, sha256, byte_size, content_type, ordinality)
     RETURNING upload_id`,
    [
      pipeline.id,
      // The set's own owner: the foreign keys then refuse a set that is not the pipeline owner's (I1).
      pipeline.trainingSet.ownerId,
      items.length,
      items.map((item) => item.uploadId),
      items.map((item) => item.sha256),
      items.map((item) => item.byteSize),
      items.map((item) => item.contentType),
    ],
  ).andThen((rows) =>
    rows.length === items.length ? okAsync(undefined) : errAsync(constraint(`${rows.length} of ${items.length} items stored`)),
  );
}

function row(pipeline: TrainingPipeline): unknown[] {
  return [
    pipeline.id,
    pipeline.ownerId,
    pipeline.status,
    pipeline.revision,
    pipeline.trainingSet.items.length,
    pipeline.destination.owner,
    pipeline.destination.name,
    pipeline.triggerWord,
    pipeline.idempotencyKey,
    pipeline.restartOf,
    trainerTrainingIdOf(pipeline),
    JSON.stringify(stateOf(pipeline)),
    pipeline.createdAt,
    pipeline.updatedAt,
  ];
}

export function pipelineRepository(session: SqlSession): Pipelines {
  const select = (where: string, params: readonly unknown[]) => session.read(`${PIPELINE_SELECT} ${where}`, params);
  return {
    get: (ownerId: OwnerId, id: PipelineId) => select('WHERE p.owner_id = $1 AND p.id = $2', [ownerId, id]).andThen(first),
    getById: (id: PipelineId) => select('WHERE p.id = $1', [id]).andThen(first),
    findActive: (ownerId: OwnerId) => select(`WHERE p.owner_id = $1 AND p.status NOT IN ${TERMINAL}`, [ownerId]).andThen(first),
    findByIdempotencyKey: (ownerId: OwnerId, key: string) =>
      select('WHERE p.owner_id = $1 AND p.idempotency_key = $2', [ownerId, key]).andThen(first),
    findByTrainerTrainingId: (trainerTrainingId: string) =>
      select('WHERE p.trainer_training_id = $1', [trainerTrainingId]).andThen(first),
    listByOwner: (ownerId: OwnerId) =>
      select('WHERE p.owner_id = $1 ORDER BY p.created_at DESC, p.id COLLATE "C" DESC', [ownerId]).andThen(many),

    listUnfinished: () =>
      session
        .read(`SELECT p.id FROM pipelines p WHERE ${unfinishedPipelineSql('p')} ORDER BY p.created_at, p.id COLLATE "C"`)
        .andThen((rows) => parseRows(z.object({ id: pipelineIdColumn }), rows, 'pipeline id'))
        .map((rows) => rows.map((r) => r.id)),

    // The partial index pipelines_awaiting_trainer answers this without reading other pipelines.
    listAwaitingTrainer: (limit: number) =>
      session
        .read(
          `SELECT p.id, p.trainer_training_id, p.created_at FROM pipelines p WHERE p.status = 'training'
           ORDER BY p.created_at DESC, p.id COLLATE "C" DESC LIMIT $1`,
          [limit],
        )
        .andThen((rows) => parseRows(awaitedRow, rows, 'pipeline awaiting the trainer'))
        .map((rows) => rows.map((r) => ({ pipelineId: r.id, trainerTrainingId: r.trainer_training_id, pipelineCreatedAt: r.created_at }))),

    insert: (pipeline: TrainingPipeline) =>
      session.write((sql) =>
        sql(
          `INSERT INTO pipelines (id, owner_id, status, revision, item_count, destination_owner, destination_name, trigger_word,
             idempotency_key, restart_of, trainer_training_id, state, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14) RETURNING id`,
          row(pipeline),
        )
          .andThen((rows) => exactlyOne(rows, () => conflict(`pipeline ${pipeline.id} was not inserted`)))
          .andThen(() => insertItems(sql, pipeline))
          .andThen(() => reread(sql, pipeline.id)),
      ),

    // Optimistic concurrency on the revision read; the trigger refuses skipped edges (I7) and
    // changes of owner, training-set size or destination. The items never change, so a caller's
    // different training set is refused here and the whole write undone.
    update: <P extends TrainingPipeline>(pipeline: P) =>
      session.write((sql) =>
        sql(
          `UPDATE pipelines SET owner_id = $2, status = $3, item_count = $5, destination_owner = $6, destination_name = $7,
             trigger_word = $8, idempotency_key = $9, restart_of = $10, trainer_training_id = $11, state = $12::jsonb,
             created_at = $13, updated_at = $14, revision = revision + 1
           WHERE id = $1 AND revision = $4 RETURNING id`,
          row(pipeline),
        )
          .andThen((rows) => exactlyOne(rows, () => conflict(`pipeline ${pipeline.id} is not at revision ${pipeline.revision}`)))
          .andThen(() => reread(sql, pipeline.id))
          .andThen((saved) =>
            sameItems(saved.trainingSet, pipeline.trainingSet)
              ? // The row just written, read back: the caller's state (the trigger keeps the status given).
                okAsync(saved as P)
              : errAsync(constraint(`pipeline ${pipeline.id}: a training set never changes`)),
          ),
      ),
  };
}
