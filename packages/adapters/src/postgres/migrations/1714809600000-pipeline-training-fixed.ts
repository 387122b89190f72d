import type { MigrationInterface, QueryRunner } from 'typeorm';

// I5 in the schema: once a pipeline names its training at the trainer, it keeps it. Without
// this a pipeline could be pointed at another training (a stranger's, under the shared
// strategy) and the provenance check on its model would then vouch for that training's version.
const guard = (trainingFixed: boolean) => `
CREATE OR REPLACE FUNCTION pipelines_guard_update() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF NEW.id <> OLD.id OR NEW.owner_id <> OLD.owner_id OR NEW.item_count <> OLD.item_count
     OR NEW.destination_owner <> OLD.destination_owner OR NEW.destination_name <> OLD.destination_name THEN
    RAISE EXCEPTION 'pipeline %: owner, training set and destination never change', OLD.id USING ERRCODE = '23000';
  END IF;${
    trainingFixed
      ? `
  IF OLD.trainer_training_id IS NOT NULL AND NEW.trainer_training_id IS DISTINCT FROM OLD.trainer_training_id THEN
    RAISE EXCEPTION 'pipeline %: keeps its training %', OLD.id, OLD.trainer_training_id USING ERRCODE = '23000';
  END IF;`
      : ''
  }
  IF NEW.status <> OLD.status AND NOT EXISTS (
    SELECT 1 FROM pipeline_transitions WHERE from_status = OLD.status AND to_status = NEW.status) THEN
    RAISE EXCEPTION 'pipeline %: no edge % -> %', OLD.id, OLD.status, NEW.status USING ERRCODE = '23000';
  END IF;
  IF NEW.revision <> OLD.revision + 1 THEN
    RAISE EXCEPTION 'pipeline %: an update must advance the revision by one', OLD.id USING ERRCODE = '23000';
  END IF;
  RETURN NEW;
END $$;
`;

export class PipelineTrainingFixed1714809600000 implements MigrationInterface {
  readonly name = 'PipelineTrainingFixed1714809600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(guard(true));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(guard(false));
  }
}
