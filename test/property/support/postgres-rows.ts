import type pg from 'pg';

// The rows as Postgres holds them, read with plain SQL: nothing here goes through the adapter's
// repositories or the core's types, so a bug there cannot hide a bad row from the checks.

export interface UploadRow {
  readonly id: string;
  readonly ownerId: string;
  readonly status: string;
  readonly sha256: string;
  readonly revision: number;
}

export interface PipelineRow {
  readonly id: string;
  readonly ownerId: string;
  readonly status: string;
  readonly revision: number;
  readonly itemCount: number;
  readonly idempotencyKey: string | null;
  readonly restartOf: string | null;
  readonly trainerTrainingId: string | null;
}

export interface ItemRow {
  readonly pipelineId: string;
  readonly ownerId: string;
  readonly uploadId: string;
  readonly position: number;
}

export interface ModelRow {
  readonly id: string;
  readonly ownerId: string;
  readonly pipelineId: string;
  readonly version: string;
  readonly trainingSet: readonly { readonly uploadId: string; readonly sha256: string }[];
}

export interface Rows {
  readonly uploads: readonly UploadRow[];
  readonly pipelines: readonly PipelineRow[];
  readonly items: readonly ItemRow[];
  readonly models: readonly ModelRow[];
  /** The owner's uploads (deleted ones included) in the order they were made. */
  uploadsOf(ownerId: string): readonly UploadRow[];
  /** The owner's pipelines in the order they were made. */
  pipelinesOf(ownerId: string): readonly PipelineRow[];
}

export const ACTIVE_STATUSES: ReadonlySet<string> = new Set(['queued', 'verifying_uploads', 'packaging', 'verifying_package', 'submitting', 'training']);

export async function readRows(sql: pg.Client): Promise<Rows> {
  // One snapshot for all four reads: the checks see a state that existed.
  await sql.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const uploads = await sql.query<{ id: string; owner_id: string; status: string; sha256: string; revision: number }>(
      `SELECT id, owner_id, status, sha256, revision FROM uploads ORDER BY created_at, id COLLATE "C"`,
    );
    const pipelines = await sql.query<{
      id: string;
      owner_id: string;
      status: string;
      revision: number;
      item_count: number;
      idempotency_key: string | null;
      restart_of: string | null;
      trainer_training_id: string | null;
    }>(
      `SELECT id, owner_id, status, revision, item_count, idempotency_key, restart_of, trainer_training_id
       FROM pipelines ORDER BY created_at, id COLLATE "C"`,
    );
    const items = await sql.query<{ pipeline_id: string; owner_id: string; upload_id: string; position: number }>(
      `SELECT pipeline_id, owner_id, upload_id, position FROM pipeline_items ORDER BY pipeline_id, position`,
    );
    const models = await sql.query<{ id: string; owner_id: string; pipeline_id: string; version: string; training_set: unknown }>(
      `SELECT id, owner_id, pipeline_id, version, training_set FROM models ORDER BY created_at, id COLLATE "C"`,
    );
    await sql.query('COMMIT');
    const rows = {
      uploads: uploads.rows.map((r) => ({ id: r.id, ownerId: r.owner_id, status: r.status, sha256: r.sha256, revision: r.revision })),
      pipelines: pipelines.rows.map((r) => ({
        id: r.id,
        ownerId: r.owner_id,
        status: r.status,
        revision: r.revision,
        itemCount: r.item_count,
        idempotencyKey: r.idempotency_key,
        restartOf: r.restart_of,
        trainerTrainingId: r.trainer_training_id,
      })),
      items: items.rows.map((r) => ({ pipelineId: r.pipeline_id, ownerId: r.owner_id, uploadId: r.upload_id, position: r.position })),
      models: models.rows.map((r) => ({
        id: r.id,
        ownerId: r.owner_id,
        pipelineId: r.pipeline_id,
        version: r.version,
        trainingSet: Array.isArray(r.training_set) ? (r.training_set as ModelRow['trainingSet']) : [],
      })),
    };
    return {
      ...rows,
      uploadsOf: (ownerId) => rows.uploads.filter((u) => u.ownerId === ownerId),
      pipelinesOf: (ownerId) => rows.pipelines.filter((p) => p.ownerId === ownerId),
    };
  } catch (error) {
    await sql.query('ROLLBACK');
    throw error;
  }
}
