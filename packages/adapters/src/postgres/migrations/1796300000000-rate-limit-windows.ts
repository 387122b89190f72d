import type { MigrationInterface, QueryRunner } from 'typeorm';

// The current window of each shared rate limit (issue 16: Replicate's limits hold across every
// process of a deployment). One row per limit name, moved and counted by one atomic upsert.
const UP = `
CREATE TABLE rate_limit_windows (
  name text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
  window_start timestamptz NOT NULL,
  used integer NOT NULL CHECK (used >= 1)
);
`;

export class RateLimitWindows1796300000000 implements MigrationInterface {
  readonly name = 'RateLimitWindows1796300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(UP);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE rate_limit_windows;');
  }
}
