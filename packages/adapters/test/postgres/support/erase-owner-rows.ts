import type pg from 'pg';
import { outOfBand } from '@selfie-lora/testkit/postgres';

/** The tables `eraseOwnerRows` empties of one owner's rows. */
export type ErasableTable = 'uploads' | 'pipelines';

/**
 * Deletes every row of one owner from `uploads`, or from `pipelines` with their training-set items
 * and schedule rows, out of band: whatever referenced them (items, models) is left dangling.
 */
export function eraseOwnerRows(client: pg.Client, table: ErasableTable, ownerId: string): Promise<void> {
  return outOfBand(client, async (sql) => {
    if (table === 'pipelines') {
      await sql.query('DELETE FROM pipeline_schedule WHERE pipeline_id IN (SELECT id FROM pipelines WHERE owner_id = $1)', [ownerId]);
      await sql.query('DELETE FROM pipeline_items WHERE owner_id = $1', [ownerId]);
    }
    await sql.query(`DELETE FROM ${table} WHERE owner_id = $1`, [ownerId]);
  });
}
