import type { MigrationInterface, QueryRunner } from 'typeorm';

// Photos received and answered before they are judged (issue 11 point 4): checking, or refused
// with the reason shown to the owner. Ids and hashes only; the bytes as sent are a staged object.
// One checking row per owner and bytes (dedup while checked); a stored photo leaves this table
// in the transaction that inserts its `uploads` row under the same id.
const UP = `
CREATE TABLE pending_uploads (
  id entity_id PRIMARY KEY,
  owner_id entity_id NOT NULL,
  status text NOT NULL CHECK (status IN ('checking', 'refused')),
  source_sha256 sha256_hex NOT NULL,
  byte_size bigint NOT NULL CHECK (byte_size > 0),
  received_at timestamptz NOT NULL,
  attempts integer NOT NULL CHECK (attempts >= 0),
  not_before timestamptz,
  refusal_code text,
  refusal_message text,
  settled_at timestamptz,
  revision integer NOT NULL CHECK (revision >= 0),
  CHECK ((status = 'refused') = (refusal_code IS NOT NULL AND refusal_message IS NOT NULL AND settled_at IS NOT NULL))
);
CREATE UNIQUE INDEX pending_uploads_checking_bytes ON pending_uploads (owner_id, source_sha256) WHERE status = 'checking';
CREATE INDEX pending_uploads_owner ON pending_uploads (owner_id, received_at);
CREATE INDEX pending_uploads_due ON pending_uploads (received_at) WHERE status = 'checking';
CREATE INDEX pending_uploads_refused ON pending_uploads (settled_at) WHERE status = 'refused';
`;

export class PendingUploads1796400000000 implements MigrationInterface {
  readonly name = 'PendingUploads1796400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(UP);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE pending_uploads;');
  }
}
