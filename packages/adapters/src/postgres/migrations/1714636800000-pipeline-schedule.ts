import type { MigrationInterface, QueryRunner } from 'typeorm';

// Worker leases. Every pipeline gets its schedule row by trigger when it is inserted (and the
// existing ones here), so a claim never has to discover pipelines. The row goes with its pipeline.
const UP = `
CREATE TABLE pipeline_schedule (
  pipeline_id entity_id PRIMARY KEY REFERENCES pipelines (id) ON DELETE CASCADE,
  next_check_at timestamptz NOT NULL,
  leased_by text,
  leased_until timestamptz,
  CONSTRAINT pipeline_schedule_lease_check CHECK ((leased_by IS NULL) = (leased_until IS NULL))
);
CREATE INDEX pipeline_schedule_next_check_at ON pipeline_schedule (next_check_at);

INSERT INTO pipeline_schedule (pipeline_id, next_check_at) SELECT id, '-infinity' FROM pipelines;

CREATE FUNCTION pipelines_schedule_insert() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO pipeline_schedule (pipeline_id, next_check_at) VALUES (NEW.id, '-infinity');
  RETURN NULL;
END $$;
CREATE TRIGGER pipelines_schedule_insert AFTER INSERT ON pipelines FOR EACH ROW EXECUTE FUNCTION pipelines_schedule_insert();
`;

export class PipelineSchedule1714636800000 implements MigrationInterface {
  readonly name = 'PipelineSchedule1714636800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(UP);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TRIGGER pipelines_schedule_insert ON pipelines;
      DROP FUNCTION pipelines_schedule_insert;
      DROP TABLE pipeline_schedule;
    `);
  }
}
