import type { MigrationInterface, QueryRunner } from 'typeorm';

// The provenance check (I5, I6) runs when a model is inserted, no longer on every update.
// models_guard_update already refuses any change to the columns it checks, so re-checking on
// update proved nothing new, and it refused the one update a broken model must still accept:
// quarantine (a model whose pipeline was edited out of band could not be hidden).
const UP = `
DROP TRIGGER models_check_provenance ON models;
CREATE CONSTRAINT TRIGGER models_check_provenance AFTER INSERT ON models
  FOR EACH ROW EXECUTE FUNCTION models_check_provenance();
`;

const DOWN = `
DROP TRIGGER models_check_provenance ON models;
CREATE CONSTRAINT TRIGGER models_check_provenance AFTER INSERT OR UPDATE ON models
  FOR EACH ROW EXECUTE FUNCTION models_check_provenance();
`;

export class ModelProvenanceOnInsert1714723200000 implements MigrationInterface {
  readonly name = 'ModelProvenanceOnInsert1714723200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(UP);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(DOWN);
  }
}
