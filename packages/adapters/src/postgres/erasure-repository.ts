import { z } from 'zod';
import { ERASURE_REASONS, ERASURE_STATES, erasureRef, erasureTargetText, type Erasure, type Erasures, type ErasureTarget, type OwnerId } from '@selfie-lora/core';
import { ownerIdColumn, parseRow, parseRows } from './row-schemas.js';
import type { SqlSession } from './sql-session.js';

const destinationText = /^([^/]+)\/([^/]+)$/;

function targetOf(kind: ErasureTarget['kind'], target: string, context: z.RefinementCtx): ErasureTarget {
  switch (kind) {
    case 'object':
      return { kind, key: target };
    case 'objects':
      return { kind, prefix: target };
    case 'trainer_version':
      return { kind, version: target };
    case 'trainer_model': {
      const match = destinationText.exec(target);
      if (!match) context.addIssue({ code: 'custom', message: `destination ${target} is not owner/name` });
      return { kind, destination: { owner: match?.[1] ?? '', name: match?.[2] ?? '' } };
    }
  }
}

const erasureRow = z
  .object({
    owner_id: ownerIdColumn,
    kind: z.enum(['object', 'objects', 'trainer_version', 'trainer_model']),
    target: z.string().min(1),
    reason: z.enum(ERASURE_REASONS),
    state: z.enum(ERASURE_STATES),
    requested_at: z.date(),
    attempt: z.number().int().nonnegative(),
    not_before: z.date().nullable(),
    finished_at: z.date().nullable(),
    last_error: z.string().nullable(),
  })
  .transform(
    (row, context): Erasure => ({
      ownerId: row.owner_id,
      target: targetOf(row.kind, row.target, context),
      reason: row.reason,
      state: row.state,
      requestedAt: row.requested_at,
      attempt: row.attempt,
      notBefore: row.not_before,
      finishedAt: row.finished_at,
      lastError: row.last_error,
    }),
  );

const COLUMNS = 'owner_id, kind, target, reason, state, requested_at, attempt, not_before, finished_at, last_error';

function values(erasure: Erasure): unknown[] {
  return [
    erasureRef(erasure.target),
    erasure.ownerId,
    erasure.target.kind,
    erasureTargetText(erasure.target),
    erasure.reason,
    erasure.state,
    erasure.requestedAt,
    erasure.attempt,
    erasure.notBefore,
    erasure.finishedAt,
    erasure.lastError,
  ];
}

// A pending erasure of the same target is kept (its backoff, its hold); a finished one is owed afresh.
const REQUEST = `
INSERT INTO erasures (ref, ${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (ref) DO UPDATE SET owner_id = EXCLUDED.owner_id, reason = EXCLUDED.reason, state = EXCLUDED.state,
  requested_at = EXCLUDED.requested_at, attempt = EXCLUDED.attempt, not_before = EXCLUDED.not_before,
  finished_at = EXCLUDED.finished_at, last_error = EXCLUDED.last_error
  WHERE erasures.state <> 'pending'`;

// One statement: rows are locked as they are picked and rows another claim holds are skipped,
// so two workers never take the same erasure; the hold (`not_before`) keeps it theirs until it runs out.
const CLAIM = `
WITH due AS (
  SELECT ref FROM erasures
   WHERE state = 'pending' AND (not_before IS NULL OR not_before <= $1)
   ORDER BY not_before NULLS FIRST, ref
   LIMIT $3
   FOR UPDATE SKIP LOCKED
)
UPDATE erasures e SET not_before = $2 FROM due WHERE e.ref = due.ref
RETURNING ${COLUMNS.split(', ').map((column) => `e.${column}`).join(', ')}`;

const SETTLE = `
UPDATE erasures SET state = $2, attempt = $3, not_before = $4, finished_at = $5, last_error = $6
 WHERE ref = $1 AND state = 'pending'`;

export function erasureRepository(session: SqlSession): Erasures {
  return {
    request: (erasure: Erasure) =>
      session
        .write((sql) => sql(REQUEST, values(erasure)).andThen(() => sql(`SELECT ${COLUMNS} FROM erasures WHERE ref = $1`, [erasureRef(erasure.target)])))
        .andThen((rows) => parseRow(erasureRow, rows[0], 'erasure')),

    claimDue: ({ now, until, limit }) =>
      session
        .write((sql) => sql(CLAIM, [now, until, Math.max(0, Math.floor(limit))]))
        .andThen((rows) => parseRows(erasureRow, rows, 'erasure')),

    settle: (erasure: Erasure) =>
      session
        .write((sql) =>
          sql(SETTLE, [erasureRef(erasure.target), erasure.state, erasure.attempt, erasure.notBefore, erasure.finishedAt, erasure.lastError]),
        )
        .map(() => undefined),

    listByOwner: (ownerId: OwnerId) =>
      session
        .read(`SELECT ${COLUMNS} FROM erasures WHERE owner_id = $1 ORDER BY requested_at, ref COLLATE "C"`, [ownerId])
        .andThen((rows) => parseRows(erasureRow, rows, 'erasure')),
  };
}
