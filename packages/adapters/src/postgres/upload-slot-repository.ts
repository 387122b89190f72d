import type { OwnerId, UploadId, UploadSlots } from '@selfie-lora/core';
import { z } from 'zod';
import { parseRows } from './row-schemas.js';
import type { SqlSession } from './sql-session.js';

const expiryRow = z.object({ expires_at: z.date() });

export function uploadSlotRepository(session: SqlSession): UploadSlots {
  return {
    record: ({ ownerId, uploadId, expiresAt }) =>
      session
        .write((sql) => sql('INSERT INTO upload_slots (upload_id, owner_id, expires_at) VALUES ($1, $2, $3)', [uploadId, ownerId, expiresAt]))
        .map(() => undefined),
    listOpenExpiries: (ownerId: OwnerId, now: Date) =>
      session
        .read('SELECT expires_at FROM upload_slots WHERE owner_id = $1 AND expires_at > $2 ORDER BY expires_at', [ownerId, now])
        .andThen((rows) => parseRows(expiryRow, rows, 'upload slot'))
        .map((rows) => rows.map((row) => row.expires_at)),
    close: (ownerId: OwnerId, uploadId: UploadId) =>
      session.write((sql) => sql('DELETE FROM upload_slots WHERE upload_id = $1 AND owner_id = $2', [uploadId, ownerId])).map(() => undefined),
    pruneExpiredBefore: (cutoff: Date) =>
      session.write((sql) => sql('DELETE FROM upload_slots WHERE expires_at < $1 RETURNING upload_id', [cutoff])).map((rows) => rows.length),
  };
}
