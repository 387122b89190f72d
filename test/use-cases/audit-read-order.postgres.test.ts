import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { okAsync, ResultAsync } from 'neverthrow';
import { createMemoryCore, type MemoryCore } from '@selfie-lora/adapters/memory';
import {
  advancePipeline,
  auditIntegrity,
  registerUpload,
  startTraining,
  type AuditPolicy,
  type CoreDeps,
  type OwnerId,
  type PipelineId,
  type UnitOfWork,
} from '@selfie-lora/core';
import { createPropertySchema, type PropertySchema } from '../property/support/postgres-schema.js';
import { photo, streamOf } from '@selfie-lora/testkit/photos';
import { alice, trainingFor } from '../support/memory-core-fixtures.js';
import { withRepositories } from '../support/rewritten-repositories.js';

// The audit reads an owner's rows one table after the other in one READ COMMITTED transaction, so
// each statement may see what the worker commits meanwhile. Here the worker commits a training's
// success (pipeline succeeded + model, one transaction) right between two of those reads, over a
// real Postgres. Read in the order the audit uses (models, pipelines, uploads), the model cannot
// appear beside its pipeline still read as `training`; read the other way round, it would, and
// `--quarantine` would quarantine a good model.

const WEBHOOK = 'https://service.example/v1/webhooks/replicate';
const policy: AuditPolicy = { stuckAfterMs: 24 * 3_600_000, graceMs: 60_000, webhookUrl: WEBHOOK };

let schema: PropertySchema;

beforeAll(async () => {
  schema = await createPropertySchema('audit_read_order');
}, 30_000);

afterAll(async () => {
  await schema?.drop();
}, 30_000);

/** Alice's pipeline over Postgres, `training`, and the trainer done with it: its result is the worker's to apply. */
async function resultNotYetApplied(): Promise<{ core: MemoryCore; deps: CoreDeps; pipelineId: PipelineId }> {
  await schema.reset();
  const core = createMemoryCore({ config: { minPhotos: 3 }, webhookUrl: WEBHOOK });
  const deps: CoreDeps = { ...core.deps, uow: schema.db };
  for (const seed of [1, 2, 3]) (await registerUpload(deps, { ownerId: alice, body: streamOf(await photo(seed)) }))._unsafeUnwrap();
  const pipelineId = (await startTraining(deps, { ownerId: alice }))._unsafeUnwrap().pipeline.id;
  for (let step = 0; step < 8; step += 1) {
    if ((await advancePipeline(deps, pipelineId))._unsafeUnwrap().pipeline.status === 'training') break;
  }
  core.trainer.finish(trainingFor(core, pipelineId).id, 'succeeded');
  // Past the grace: only the read order (and the version being its pipeline's pending result) keeps the report clean.
  core.clock.advance(policy.graceMs + 1);
  return { core, deps, pipelineId };
}

/**
 * The audit's UnitOfWork, unchanged but for one thing: right after `pipelines.listByOwner`
 * answers for `ownerId` (once), `commit` runs in a transaction of its own and commits.
 */
function committingAfterPipelinesRead(uow: UnitOfWork, ownerId: OwnerId, commit: () => Promise<void>): { uow: UnitOfWork; fired: () => boolean } {
  let fired = false;
  return {
    fired: () => fired,
    uow: withRepositories(uow, (repos) => ({
      ...repos,
      pipelines: {
        ...repos.pipelines,
        listByOwner: (id) =>
          repos.pipelines.listByOwner(id).andThen((rows) => {
            if (id !== ownerId || fired) return okAsync(rows);
            fired = true;
            return ResultAsync.fromSafePromise(commit()).map(() => rows);
          }),
      },
    })),
  };
}

describe('the audit against a worker committing a success between its reads (Postgres)', () => {
  it('quarantines nothing and reports nothing: no fresh model beside a pipeline read as training', async () => {
    const { deps, pipelineId } = await resultNotYetApplied();
    const worker = async () => {
      const applied = (await advancePipeline(deps, pipelineId))._unsafeUnwrap();
      expect(applied.pipeline.status).toBe('succeeded');
    };
    const interleaved = committingAfterPipelinesRead(schema.db, alice, worker);

    const report = (await auditIntegrity({ ...deps, uow: interleaved.uow }, { policy, quarantine: true }))._unsafeUnwrap();
    expect(interleaved.fired()).toBe(true);
    expect(report.violations).toEqual([]);
    expect(report.quarantined).toEqual([]);
    // What it read: the pipeline before the commit (training, no model yet), the trainer after it (the version).
    expect(report.scanned).toMatchObject({ pipelines: 1, models: 0, versions: 1 });

    const rows = await schema.sql.query<{ status: string }>('SELECT status FROM models WHERE pipeline_id = $1', [pipelineId]);
    expect(rows.rows).toEqual([{ status: 'active' }]);
    // And the next audit, with everything committed, is clean too.
    const next = (await auditIntegrity(deps, { policy, quarantine: true }))._unsafeUnwrap();
    expect(next.violations).toEqual([]);
    expect(next.scanned).toMatchObject({ pipelines: 1, models: 1, versions: 1 });
  }, 30_000);
});
