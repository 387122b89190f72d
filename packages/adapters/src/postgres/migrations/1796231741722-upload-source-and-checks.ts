import type { MigrationInterface, QueryRunner } from 'typeorm';

// Issue 11: photos are normalised at ingest, so an upload has two hashes: `sha256` of the stored
// bytes (what storage, the ZIP and the trainer carry; I2 and I3 unchanged) and `source_sha256`
// of the bytes the client sent (dedup). Rows from before keep their bytes as sent: both equal.
// Photo checks are kept with the row; the face embedding is biometric data and goes when the
// photo does (a separate trigger, so `uploads_guard_update` is not replaced).
const UP = `
ALTER TABLE uploads ADD COLUMN source_sha256 sha256_hex;
UPDATE uploads SET source_sha256 = sha256;
ALTER TABLE uploads ALTER COLUMN source_sha256 SET NOT NULL;
ALTER TABLE uploads ADD COLUMN checks jsonb NOT NULL DEFAULT '[]'
  CONSTRAINT uploads_checks_check CHECK (jsonb_typeof(checks) = 'array');
ALTER TABLE uploads ADD COLUMN face_embedding real[]
  CONSTRAINT uploads_face_embedding_check CHECK (face_embedding IS NULL OR cardinality(face_embedding) BETWEEN 1 AND 4096);
-- Re-sending the same bytes finds the stored upload made from them.
CREATE UNIQUE INDEX uploads_one_stored_per_owner_source_sha256 ON uploads (owner_id, source_sha256) WHERE status = 'stored';

CREATE FUNCTION uploads_keep_source() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF NEW.source_sha256 <> OLD.source_sha256 THEN
    RAISE EXCEPTION 'upload %: the bytes it was made from never change', OLD.id USING ERRCODE = '23000';
  END IF;
  IF NEW.status = 'deleted' THEN
    NEW.face_embedding := NULL;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER uploads_keep_source BEFORE UPDATE ON uploads FOR EACH ROW EXECUTE FUNCTION uploads_keep_source();

-- A row written without a source hash (by a writer that predates normalisation) was stored as sent.
CREATE FUNCTION uploads_source_default() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  NEW.source_sha256 := COALESCE(NEW.source_sha256, NEW.sha256);
  RETURN NEW;
END $$;
CREATE TRIGGER uploads_source_default BEFORE INSERT ON uploads FOR EACH ROW EXECUTE FUNCTION uploads_source_default();
`;

const DOWN = `
DROP TRIGGER uploads_source_default ON uploads;
DROP FUNCTION uploads_source_default;
DROP TRIGGER uploads_keep_source ON uploads;
DROP FUNCTION uploads_keep_source;
DROP INDEX uploads_one_stored_per_owner_source_sha256;
ALTER TABLE uploads DROP COLUMN face_embedding;
ALTER TABLE uploads DROP COLUMN checks;
ALTER TABLE uploads DROP COLUMN source_sha256;
`;

export class UploadSourceAndChecks1796231741722 implements MigrationInterface {
  readonly name = 'UploadSourceAndChecks1796231741722';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(UP);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(DOWN);
  }
}
