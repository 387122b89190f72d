import type { MigrationInterface, QueryRunner } from 'typeorm';

// Presigned upload slots handed out and not yet completed or refused, so the open ones count
// against the owner's quota (issue 15). Ids, owner and expiry only: the declared size stays in
// the signed URL. Rows go when the upload is judged, or by housekeeping after expiry.
const UP = `
CREATE TABLE upload_slots (
  upload_id entity_id PRIMARY KEY,
  owner_id entity_id NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX upload_slots_owner_expiry ON upload_slots (owner_id, expires_at);
CREATE INDEX upload_slots_expiry ON upload_slots (expires_at);
`;

export class UploadSlots1796232000000 implements MigrationInterface {
  readonly name = 'UploadSlots1796232000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(UP);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE upload_slots;');
  }
}
