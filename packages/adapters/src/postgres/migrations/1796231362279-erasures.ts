import type { MigrationInterface, QueryRunner } from 'typeorm';

// Privacy: erasures owed outside the database (photo bytes, an erased owner's objects, versions
// and models at the trainer), one row per target, written in the transaction that decides the
// erasure and kept once done (ids and timestamps only) as the record that it was carried out.
// A model of an erased owner is kept as provenance, `erased`, never served.
const UP = `
CREATE TABLE erasures (
  ref text PRIMARY KEY,
  owner_id entity_id NOT NULL,
  kind text NOT NULL CONSTRAINT erasures_kind_check CHECK (kind IN ('object', 'objects', 'trainer_version', 'trainer_model')),
  target text NOT NULL CONSTRAINT erasures_target_check CHECK (target <> ''),
  reason text NOT NULL CONSTRAINT erasures_reason_check CHECK (reason IN ('upload_deleted', 'owner_erased', 'retention')),
  state text NOT NULL CONSTRAINT erasures_state_check CHECK (state IN ('pending', 'done', 'refused')),
  requested_at timestamptz NOT NULL,
  attempt integer NOT NULL CONSTRAINT erasures_attempt_check CHECK (attempt >= 0),
  not_before timestamptz,
  finished_at timestamptz,
  last_error text,
  CONSTRAINT erasures_ref_check CHECK (ref = kind || ':' || target),
  CONSTRAINT erasures_finished_check CHECK ((state = 'pending') = (finished_at IS NULL))
);
CREATE INDEX erasures_due ON erasures (not_before NULLS FIRST, ref) WHERE state = 'pending';
CREATE INDEX erasures_owner_id ON erasures (owner_id);

ALTER TABLE models DROP CONSTRAINT models_status_check;
ALTER TABLE models ADD CONSTRAINT models_status_check CHECK (status IN ('active', 'quarantined', 'erased'));
`;

export class Erasures1796231362279 implements MigrationInterface {
  readonly name = 'Erasures1796231362279';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(UP);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE models DROP CONSTRAINT models_status_check;
      ALTER TABLE models ADD CONSTRAINT models_status_check CHECK (status IN ('active', 'quarantined'));
      DROP TABLE erasures;
    `);
  }
}
