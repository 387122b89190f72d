import type { MigrationInterface, QueryRunner } from 'typeorm';

// Issue 12: an erased owner's pipelines lose what the owner wrote, the trigger word and the
// idempotency key (ids, steps and evidence stay for the audit). Beside `pipelines_guard_update`
// (left as it is), this guard lets those two columns change only that way: both scrubbed at once
// (trigger word '', key NULL), so no other write can rewrite them.
const UP = `
CREATE FUNCTION pipelines_guard_owner_text() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF (NEW.trigger_word IS DISTINCT FROM OLD.trigger_word OR NEW.idempotency_key IS DISTINCT FROM OLD.idempotency_key)
     AND NOT (NEW.trigger_word = '' AND NEW.idempotency_key IS NULL) THEN
    RAISE EXCEPTION 'pipeline %: trigger word and idempotency key change only to be erased', OLD.id USING ERRCODE = '23000';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER pipelines_guard_owner_text BEFORE UPDATE ON pipelines FOR EACH ROW EXECUTE FUNCTION pipelines_guard_owner_text();
`;

const DOWN = `
DROP TRIGGER pipelines_guard_owner_text ON pipelines;
DROP FUNCTION pipelines_guard_owner_text;
`;

export class PipelineOwnerTextErasable1796281400000 implements MigrationInterface {
  readonly name = 'PipelineOwnerTextErasable1796281400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(UP);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(DOWN);
  }
}
