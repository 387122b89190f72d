import { z } from 'zod';
import type { OwnerId, Owners } from '@selfie-lora/core';
import { ownerIdColumn, parseRows } from './row-schemas.js';
import type { SqlSession } from './sql-session.js';

const ownerRow = z.object({ owner_id: ownerIdColumn }).transform((row) => row.owner_id);

/**
 * Owners are not a table: an owner is known by any row that names it. Every upload is read,
 * deleted ones included, and pipelines and models too, so an owner left only with rows the
 * schema should not hold (a pipeline or model whose uploads are gone) is still audited.
 */
export function ownerRepository(session: SqlSession): Owners {
  return {
    // UNION removes duplicates; ORDER BY on a UNION cannot take COLLATE, hence the subquery.
    listKnown: () =>
      session
        .read(
          `SELECT owner_id FROM (
             SELECT owner_id FROM uploads UNION SELECT owner_id FROM pipelines UNION SELECT owner_id FROM models
           ) AS known ORDER BY owner_id COLLATE "C"`,
        )
        .andThen((rows) => parseRows(ownerRow, rows, 'owner')),
    // Each table's owner index is walked from the cursor and cut at the limit before the union,
    // so a page costs about `limit` rows per table, not a scan of every owner.
    listKnownAfter: (after: OwnerId | null, limit: number) =>
      session
        .read(
          `SELECT owner_id FROM (
             (SELECT DISTINCT owner_id COLLATE "C" AS owner_id FROM uploads WHERE $1::text IS NULL OR owner_id COLLATE "C" > $1 ORDER BY 1 LIMIT $2)
             UNION
             (SELECT DISTINCT owner_id COLLATE "C" AS owner_id FROM pipelines WHERE $1::text IS NULL OR owner_id COLLATE "C" > $1 ORDER BY 1 LIMIT $2)
             UNION
             (SELECT DISTINCT owner_id COLLATE "C" AS owner_id FROM models WHERE $1::text IS NULL OR owner_id COLLATE "C" > $1 ORDER BY 1 LIMIT $2)
           ) AS known ORDER BY owner_id LIMIT $2`,
          [after, limit],
        )
        .andThen((rows) => parseRows(ownerRow, rows, 'owner')),
  };
}
