import type { MigrationInterface, QueryRunner } from 'typeorm';

// The poll sweep (issue 16) reads the pipelines waiting for the trainer, newest first, every
// round: a partial index holds only those, so the read does not grow with finished pipelines.
export class PipelinesAwaitingTrainer1796500000000 implements MigrationInterface {
  readonly name = 'PipelinesAwaitingTrainer1796500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX pipelines_awaiting_trainer ON pipelines (created_at DESC) WHERE status = 'training';`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX pipelines_awaiting_trainer;');
  }
}
