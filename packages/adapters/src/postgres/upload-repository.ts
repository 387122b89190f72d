import { z } from 'zod';
import type { OwnerId, Sha256, Upload, UploadId, Uploads } from '@selfie-lora/core';
import { conflict } from './postgres-errors.js';
import { photoCheckColumn } from './photo-check-column.js';
import { countColumn, imageTypeColumn, ownerIdColumn, parseRow, parseRows, sha256Column, uploadIdColumn } from './row-schemas.js';
import { exactlyOne, type SqlSession } from './sql-session.js';

const uploadRow = z
  .object({
    id: uploadIdColumn,
    owner_id: ownerIdColumn,
    status: z.enum(['stored', 'deleted']),
    content_type: imageTypeColumn,
    byte_size: countColumn,
    sha256: sha256Column,
    source_sha256: sha256Column,
    width: z.number().int(),
    height: z.number().int(),
    checks: z.array(photoCheckColumn),
    face_embedding: z.array(z.number()).nullable(),
    created_at: z.date(),
    deleted_at: z.date().nullable(),
    revision: z.number().int(),
  })
  .transform(
    (row): Upload => ({
      id: row.id,
      ownerId: row.owner_id,
      status: row.status,
      contentType: row.content_type,
      byteSize: row.byte_size,
      sha256: row.sha256,
      sourceSha256: row.source_sha256,
      width: row.width,
      height: row.height,
      checks: row.checks,
      faceEmbedding: row.face_embedding,
      createdAt: row.created_at,
      deletedAt: row.deleted_at,
      revision: row.revision,
    }),
  );

/** count() and sum() of bigint arrive as strings. */
export const usageRow = z.object({ photos: countColumn, bytes: countColumn });

const COLUMNS = 'id, owner_id, status, content_type, byte_size, sha256, width, height, created_at, deleted_at, revision, source_sha256, checks, face_embedding';

function values(upload: Upload): unknown[] {
  return [
    upload.id,
    upload.ownerId,
    upload.status,
    upload.contentType,
    upload.byteSize,
    upload.sha256,
    upload.width,
    upload.height,
    upload.createdAt,
    upload.deletedAt,
    upload.revision,
    upload.sourceSha256,
    JSON.stringify(upload.checks),
    upload.faceEmbedding,
  ];
}

export function uploadRepository(session: SqlSession): Uploads {
  const one = (rows: readonly unknown[]) => parseRows(uploadRow, rows, 'upload').map((uploads) => uploads[0] ?? null);
  return {
    get: (ownerId: OwnerId, id: UploadId) =>
      session.read(`SELECT ${COLUMNS} FROM uploads WHERE owner_id = $1 AND id = $2`, [ownerId, id]).andThen(one),
    getById: (id: UploadId) => session.read(`SELECT ${COLUMNS} FROM uploads WHERE id = $1`, [id]).andThen(one),

    findStoredBySha256: (ownerId: OwnerId, sha256: Sha256) =>
      session
        .read(`SELECT ${COLUMNS} FROM uploads WHERE owner_id = $1 AND sha256 = $2 AND status = 'stored'`, [ownerId, sha256])
        .andThen(one),

    findStoredBySourceSha256: (ownerId: OwnerId, sourceSha256: Sha256) =>
      session
        .read(`SELECT ${COLUMNS} FROM uploads WHERE owner_id = $1 AND source_sha256 = $2 AND status = 'stored'`, [ownerId, sourceSha256])
        .andThen(one),

    listByOwner: (ownerId: OwnerId, options?: { includeDeleted?: boolean }) =>
      session
        .read(
          `SELECT ${COLUMNS} FROM uploads WHERE owner_id = $1 AND ($2::boolean OR status = 'stored') ORDER BY created_at, id COLLATE "C"`,
          [ownerId, options?.includeDeleted === true],
        )
        .andThen((rows) => parseRows(uploadRow, rows, 'upload')),

    storedUsage: (ownerId: OwnerId) =>
      session
        .read(`SELECT count(*) AS photos, coalesce(sum(byte_size), 0) AS bytes FROM uploads WHERE owner_id = $1 AND status = 'stored'`, [ownerId])
        .andThen((rows) => parseRow(usageRow, rows[0], 'upload usage')),

    // FOR SHARE: a concurrent delete (an UPDATE of these rows) waits for this transaction, then
    // sees its pipeline; one that committed first leaves its row out (re-checked after the wait).
    listStoredForTraining: (ownerId: OwnerId) =>
      session
        .read(`SELECT ${COLUMNS} FROM uploads WHERE owner_id = $1 AND status = 'stored' ORDER BY created_at, id COLLATE "C" FOR SHARE`, [ownerId])
        .andThen((rows) => parseRows(uploadRow, rows, 'upload')),

    // The training set's items (pipeline_items, indexed by owner and upload) name the photo; a
    // model exists exactly for a succeeded training, made when it succeeded.
    listPastRetention: ({ succeededBy, limit }: { succeededBy: Date; limit: number }) =>
      session
        .read(
          `SELECT ${COLUMNS} FROM uploads u WHERE u.status = 'stored'
             AND EXISTS (SELECT 1 FROM pipeline_items i JOIN models m ON m.pipeline_id = i.pipeline_id
                         WHERE i.owner_id = u.owner_id AND i.upload_id = u.id AND m.created_at <= $1)
             AND NOT EXISTS (SELECT 1 FROM pipeline_items i JOIN pipelines p ON p.id = i.pipeline_id
                             WHERE i.owner_id = u.owner_id AND i.upload_id = u.id AND p.status NOT IN ('succeeded', 'failed', 'canceled'))
           ORDER BY u.created_at, u.id COLLATE "C" LIMIT $2`,
          [succeededBy, limit],
        )
        .andThen((rows) => parseRows(uploadRow, rows, 'upload')),

    insert: (upload: Upload) =>
      session.write((sql) =>
        sql(`INSERT INTO uploads (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING ${COLUMNS}`, values(upload))
          .andThen((rows) => exactlyOne(rows, () => conflict(`upload ${upload.id} was not inserted`)))
          .andThen((row) => parseRow(uploadRow, row, 'upload')),
      ),

    // Optimistic concurrency: only the revision the caller read is updated; the trigger refuses
    // changes to owner or content, and undeleting.
    update: (upload: Upload) =>
      session.write((sql) =>
        sql(
          `UPDATE uploads SET owner_id = $2, status = $3, content_type = $4, byte_size = $5, sha256 = $6, width = $7,
             height = $8, created_at = $9, deleted_at = $10, revision = revision + 1, source_sha256 = $12, checks = $13,
             face_embedding = $14
           WHERE id = $1 AND revision = $11 RETURNING ${COLUMNS}`,
          values(upload),
        )
          .andThen((rows) => exactlyOne(rows, () => conflict(`upload ${upload.id} is not at revision ${upload.revision}`)))
          .andThen((row) => parseRow(uploadRow, row, 'upload')),
      ),
  };
}
