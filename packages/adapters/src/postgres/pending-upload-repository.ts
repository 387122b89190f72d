import { z } from 'zod';
import { REFUSAL_CODES, type OwnerId, type PendingUpload, type PendingUploads, type Sha256, type UploadId } from '@selfie-lora/core';
import { conflict } from './postgres-errors.js';
import { countColumn, ownerIdColumn, parseRow, parseRows, sha256Column, uploadIdColumn } from './row-schemas.js';
import { exactlyOne, type SqlSession } from './sql-session.js';
import { usageRow } from './upload-repository.js';

const refusalCode = z.enum(REFUSAL_CODES);

const pendingRow = z
  .object({
    id: uploadIdColumn,
    owner_id: ownerIdColumn,
    status: z.enum(['checking', 'refused']),
    source_sha256: sha256Column,
    byte_size: countColumn,
    received_at: z.date(),
    attempts: z.number().int().nonnegative(),
    not_before: z.date().nullable(),
    refusal_code: refusalCode.nullable(),
    refusal_message: z.string().nullable(),
    settled_at: z.date().nullable(),
    revision: z.number().int().nonnegative(),
  })
  .transform(
    (row): PendingUpload => ({
      id: row.id,
      ownerId: row.owner_id,
      status: row.status,
      sourceSha256: row.source_sha256,
      byteSize: row.byte_size,
      receivedAt: row.received_at,
      attempts: row.attempts,
      notBefore: row.not_before,
      refusal: row.refusal_code === null || row.refusal_message === null ? null : { code: row.refusal_code, message: row.refusal_message },
      settledAt: row.settled_at,
      revision: row.revision,
    }),
  );

const COLUMNS = 'id, owner_id, status, source_sha256, byte_size, received_at, attempts, not_before, refusal_code, refusal_message, settled_at, revision';

function values(row: PendingUpload): unknown[] {
  return [
    row.id,
    row.ownerId,
    row.status,
    row.sourceSha256,
    row.byteSize,
    row.receivedAt,
    row.attempts,
    row.notBefore,
    row.refusal?.code ?? null,
    row.refusal?.message ?? null,
    row.settledAt,
    row.revision,
  ];
}

// An id already stored as an upload is refused as the memory adapter refuses it; the partial
// unique index refuses a second checking row of the same owner and bytes (a conflict either way).
const INSERT = `
INSERT INTO pending_uploads (${COLUMNS})
SELECT $1::text, $2::text, $3::text, $4::text, $5::bigint, $6::timestamptz, $7::integer, $8::timestamptz, $9::text, $10::text,
       $11::timestamptz, 0
 WHERE NOT EXISTS (SELECT 1 FROM uploads WHERE id = $1::text)
ON CONFLICT DO NOTHING
RETURNING ${COLUMNS}`;

// Locked as picked, rows another claim holds skipped: two workers never check the same photo.
const CLAIM = `
WITH due AS (
  SELECT id FROM pending_uploads
   WHERE status = 'checking' AND (not_before IS NULL OR not_before <= $1)
   ORDER BY received_at, id COLLATE "C"
   LIMIT $3
   FOR UPDATE SKIP LOCKED
)
UPDATE pending_uploads p SET not_before = $2, revision = p.revision + 1 FROM due WHERE p.id = due.id
RETURNING ${COLUMNS.split(', ').map((column) => `p.${column}`).join(', ')}`;

export function pendingUploadRepository(session: SqlSession): PendingUploads {
  const one = (rows: readonly unknown[]) => parseRows(pendingRow, rows, 'pending upload').map((found) => found[0] ?? null);
  return {
    get: (ownerId: OwnerId, id: UploadId) => session.read(`SELECT ${COLUMNS} FROM pending_uploads WHERE owner_id = $1 AND id = $2`, [ownerId, id]).andThen(one),

    findCheckingBySourceSha256: (ownerId: OwnerId, sourceSha256: Sha256) =>
      session
        .read(`SELECT ${COLUMNS} FROM pending_uploads WHERE owner_id = $1 AND source_sha256 = $2 AND status = 'checking'`, [ownerId, sourceSha256])
        .andThen(one),

    listByOwner: (ownerId: OwnerId) =>
      session
        .read(`SELECT ${COLUMNS} FROM pending_uploads WHERE owner_id = $1 ORDER BY received_at, id COLLATE "C"`, [ownerId])
        .andThen((rows) => parseRows(pendingRow, rows, 'pending upload')),

    checkingUsage: (ownerId: OwnerId, except: UploadId | null) =>
      session
        .read(
          `SELECT count(*) AS photos, coalesce(sum(byte_size), 0) AS bytes FROM pending_uploads
            WHERE owner_id = $1 AND status = 'checking' AND ($2::text IS NULL OR id <> $2::text)`,
          [ownerId, except],
        )
        .andThen((rows) => parseRow(usageRow, rows[0], 'pending upload usage')),

    insert: (row: PendingUpload) =>
      session.write((sql) =>
        sql(INSERT, values(row).slice(0, 11))
          .andThen((rows) => exactlyOne(rows, () => conflict(`upload ${row.id} exists, or its bytes are already checking`)))
          .andThen((inserted) => parseRow(pendingRow, inserted, 'pending upload')),
      ),

    update: (row: PendingUpload) =>
      session.write((sql) =>
        sql(
          `UPDATE pending_uploads SET status = $3, attempts = $7, not_before = $8, refusal_code = $9, refusal_message = $10,
             settled_at = $11, revision = revision + 1
           WHERE id = $1 AND owner_id = $2 AND source_sha256 = $4 AND byte_size = $5 AND received_at = $6 AND revision = $12
           RETURNING ${COLUMNS}`,
          values(row),
        )
          .andThen((rows) => exactlyOne(rows, () => conflict(`pending upload ${row.id} is not at revision ${row.revision}`)))
          .andThen((updated) => parseRow(pendingRow, updated, 'pending upload')),
      ),

    remove: (row: PendingUpload) =>
      session.write((sql) =>
        sql('DELETE FROM pending_uploads WHERE id = $1 AND owner_id = $2 AND revision = $3 RETURNING id', [row.id, row.ownerId, row.revision])
          .andThen((rows) => exactlyOne(rows, () => conflict(`pending upload ${row.id} is gone or changed`)))
          .map(() => undefined),
      ),

    removeByOwner: (ownerId: OwnerId) =>
      session.write((sql) => sql('DELETE FROM pending_uploads WHERE owner_id = $1 RETURNING id', [ownerId])).map((rows) => rows.length),

    claimDue: ({ now, until, limit }) =>
      session
        .write((sql) => sql(CLAIM, [now, until, Math.max(0, Math.floor(limit))]))
        .andThen((rows) => parseRows(pendingRow, rows, 'pending upload'))
        .map((rows) => [...rows].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))),

    pruneRefusedBefore: (cutoff: Date) =>
      session.write((sql) => sql(`DELETE FROM pending_uploads WHERE status = 'refused' AND settled_at < $1 RETURNING id`, [cutoff])).map((rows) => rows.length),
  };
}
