import { describe, expect, it } from 'vitest';
import { errAsync, ResultAsync } from 'neverthrow';
import { advancePipeline, domainError, packageKey, runPipeline, type CoreDeps } from '@selfie-lora/core';
import type { MemoryCore } from '@selfie-lora/adapters/memory';
import {
  advanceTo,
  alice,
  errorCode,
  failureCode,
  memoryCore,
  startedPipeline,
  storedPipeline,
  trainingFor,
} from '../support/memory-core-fixtures.js';
import { trainerLike } from '../support/trainer-like.js';
import { withRepositories } from '../support/rewritten-repositories.js';

/**
 * Deps whose trainer accepts the training and then the process "dies" before the database
 * write: the transaction right after the trainer's answer fails.
 */
function crashAfterSubmit(core: MemoryCore, failedTransactions = 1): CoreDeps {
  const trainer = trainerLike(core.trainer, {
    submit: (submission) =>
      core.trainer.submit(submission).map((report) => {
        core.db.faults.failNext('transaction', failedTransactions);
        return report;
      }),
  });
  return { ...core.deps, trainer };
}

/** Deps whose trainer takes a moment to accept a training, as a remote API would. */
function slowSubmit(core: MemoryCore): CoreDeps {
  const later = () => ResultAsync.fromSafePromise(new Promise<void>((resolve) => setImmediate(resolve)));
  const trainer = trainerLike(core.trainer, { submit: (submission) => later().andThen(() => core.trainer.submit(submission)) });
  return { ...core.deps, trainer };
}

describe('a training the trainer accepted is never orphaned nor doubled', () => {
  it('a crash between the trainer’s answer and the database write is reconciled by adopting the training', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'submitting');

    expect(errorCode(await advancePipeline(crashAfterSubmit(core), pipeline.id))).toBe('persistence.unavailable');
    expect(storedPipeline(core, pipeline.id).status).toBe('submitting');
    expect(core.trainer.trainings.size).toBe(1);
    const accepted = trainingFor(core, pipeline.id);

    const resumed = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
    expect(resumed.status).toBe('training');
    expect('trainerTrainingId' in resumed && resumed.trainerTrainingId).toBe(accepted.id);
    expect(core.trainer.trainings.size).toBe(1);

    core.trainer.finish(accepted.id, 'succeeded');
    expect((await runPipeline(core.deps, pipeline.id))._unsafeUnwrap().status).toBe('succeeded');
    expect(core.db.snapshot().models.map((m) => m.version)).toEqual([core.trainer.trainings.get(accepted.id)!.outputVersion]);
  });

  it('a training already submitted for the pipeline (by an earlier worker) is adopted', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    const submitting = await advanceTo(core, pipeline.id, 'submitting');
    const inputUrl = (await core.store.signedGetUrl(packageKey(alice, pipeline.id), 60))._unsafeUnwrap();
    const earlier = (
      await core.trainer.submit({ pipelineId: pipeline.id, destination: submitting.destination, inputUrl, triggerWord: 'TOK' })
    )._unsafeUnwrap();

    const resumed = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
    expect('trainerTrainingId' in resumed && resumed.trainerTrainingId).toBe(earlier.trainerTrainingId);
    expect(core.trainer.trainings.size).toBe(1);
  });

  it('two workers advancing the same pipeline at once submit one training', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'submitting');
    const results = await Promise.all([advancePipeline(core.deps, pipeline.id), advancePipeline(core.deps, pipeline.id)]);
    expect(results.filter((r) => r.isOk())).toHaveLength(1);
    expect(results.filter((r) => r.isErr()).map((r) => errorCode(r))).toEqual(['persistence.conflict']);
    expect(storedPipeline(core, pipeline.id).status).toBe('training');
    expect(core.trainer.trainings.size).toBe(1);
  });

  // Both workers find no submission and both submit; the loser's write is refused as stale,
  // and the training the trainer accepted for it must be canceled.
  it('two workers racing with a remote-speed trainer leave no second training running', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'submitting');
    const deps = slowSubmit(core);
    const results = await Promise.all([advancePipeline(deps, pipeline.id), advancePipeline(deps, pipeline.id)]);
    expect(results.filter((r) => r.isOk())).toHaveLength(1);
    const recorded = storedPipeline(core, pipeline.id);
    const running = [...core.trainer.trainings.values()].filter((t) => t.status === 'starting' || t.status === 'processing');
    expect(running.map((t) => t.id)).toEqual(['trainerTrainingId' in recorded ? recorded.trainerTrainingId : 'none']);
  });

  it('an adopted training for another destination fails the pipeline', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'submitting');
    const inputUrl = (await core.store.signedGetUrl(packageKey(alice, pipeline.id), 60))._unsafeUnwrap();
    const destination = { owner: 'selfie-lora', name: 'somebody-else' };
    (await core.trainer.submit({ pipelineId: pipeline.id, destination, inputUrl, triggerWord: 'TOK' }))._unsafeUnwrap();

    const ended = (await runPipeline(core.deps, pipeline.id))._unsafeUnwrap();
    expect(ended.status).toBe('failed');
    expect(failureCode(ended)).toBe('trainer.destination_mismatch');
    expect(core.db.snapshot().models).toEqual([]);
  });

  it('the worker that loses the race for a training it adopted leaves that training running', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'submitting');
    const results = await Promise.all([advancePipeline(core.deps, pipeline.id), advancePipeline(core.deps, pipeline.id)]);
    expect(results.map((r) => (r.isOk() ? 'ok' : errorCode(r)))).toEqual(['ok', 'persistence.conflict']);
    expect(trainingFor(core, pipeline.id).status).toBe('starting');
  });

  it('a second training the trainer accepted that cannot be canceled is logged for the audit', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'submitting');
    core.trainer.faults.failNext('cancel');
    const deps = slowSubmit(core);
    await Promise.all([advancePipeline(deps, pipeline.id), advancePipeline(deps, pipeline.id)]);
    const recorded = storedPipeline(core, pipeline.id);
    const recordedId = 'trainerTrainingId' in recorded ? recorded.trainerTrainingId : null;
    const [orphan] = [...core.trainer.trainings.values()].filter((t) => t.id !== recordedId);
    expect(orphan?.status).toBe('starting');
    expect(core.log.events.filter((e) => e.kind === 'pipeline.undo_failed')).toEqual([
      { kind: 'pipeline.undo_failed', detail: { pipelineId: pipeline.id, effect: 'training', code: 'trainer.unavailable' } },
    ]);
  });

  it('a worker whose submission failed and whose retry time lost the race answers the conflict and undoes nothing', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'submitting');
    core.trainer.faults.failNext('submit', 2);
    const results = await Promise.all([advancePipeline(core.deps, pipeline.id), advancePipeline(core.deps, pipeline.id)]);
    expect(results.map((r) => (r.isOk() ? r.value.pipeline.status : errorCode(r)))).toEqual(['submitting', 'persistence.conflict']);
    expect(core.trainer.trainings.size).toBe(0);
    expect(core.log.kinds()).not.toContain('pipeline.undo_failed');
  });

  it('a write lost to a database that is down (not to a race) undoes nothing and reports no failed undo: the training is adopted later', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'submitting');

    expect(errorCode(await advancePipeline(crashAfterSubmit(core, 2), pipeline.id))).toBe('persistence.unavailable');
    expect(core.log.kinds()).not.toContain('pipeline.undo_failed');
    const accepted = trainingFor(core, pipeline.id);
    expect(accepted.status).toBe('starting');
    core.db.faults.clear(); // the database is back
    const resumed = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
    expect('trainerTrainingId' in resumed && resumed.trainerTrainingId).toBe(accepted.id);
  });

  it('a training accepted while another write left the pipeline submitting is not canceled: the next submit adopts it', async () => {
    const core = memoryCore();
    const { pipeline } = await startedPipeline(core, alice, [1, 2, 3]);
    await advanceTo(core, pipeline.id, 'submitting');
    // The write recording the training loses to another that left the pipeline submitting, with no training recorded.
    let lost = false;
    const racing = withRepositories(core.deps.uow, (repos) => ({
      ...repos,
      pipelines: {
        ...repos.pipelines,
        update: (next) => {
          if (lost || next.status !== 'training') return repos.pipelines.update(next);
          lost = true;
          return errAsync(domainError('persistence.conflict', 'staged: another write came first'));
        },
      },
    }));
    expect(errorCode(await advancePipeline({ ...core.deps, uow: racing }, pipeline.id))).toBe('persistence.conflict');
    const accepted = trainingFor(core, pipeline.id);
    expect(accepted.status).toBe('starting');
    expect(storedPipeline(core, pipeline.id).status).toBe('submitting');
    const resumed = (await advancePipeline(core.deps, pipeline.id))._unsafeUnwrap().pipeline;
    expect(resumed).toMatchObject({ status: 'training', trainerTrainingId: accepted.id });
    expect(core.trainer.trainings.size).toBe(1);
  });
});
