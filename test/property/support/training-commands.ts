import { expect } from 'vitest';
import {
  cancelTraining,
  isActive,
  restartTraining,
  startTraining,
  type OwnerId,
  type TrainingPipeline,
  type Upload,
} from '@selfie-lora/core';
import { WorldCommand } from './world-command.js';
import { describeIndex, expectErr, expectOk, MIN_PHOTOS, ownerIdOf, pick, type Model, type World } from './world.js';

type Snapshot = ReturnType<World['core']['db']['snapshot']>;

function ownersState(snap: Snapshot, ownerId: OwnerId): { active?: TrainingPipeline; stored: Upload[]; pipelines: TrainingPipeline[] } {
  const pipelines = snap.pipelines.filter((p) => p.ownerId === ownerId);
  return {
    active: pipelines.find((p) => isActive(p)),
    stored: snap.uploads.filter((u) => u.ownerId === ownerId && u.status === 'stored'),
    pipelines,
  };
}

/** A new pipeline is queued over exactly the owner's stored photos. */
function expectFreshPipeline(pipeline: TrainingPipeline, ownerId: OwnerId, stored: readonly Upload[]): void {
  expect(pipeline.status).toBe('queued');
  expect(pipeline.ownerId).toBe(ownerId);
  expect(pipeline.trainingSet.items.map((i) => i.uploadId).sort()).toEqual(stored.map((u) => u.id).sort());
}

/** POST /v1/trainings, with or without an Idempotency-Key. */
export class StartTraining extends WorldCommand {
  constructor(
    readonly owner: string,
    readonly idempotencyKey: string | null,
  ) {
    super();
  }

  protected async act(model: Model, world: World): Promise<void> {
    const ownerId = ownerIdOf(this.owner);
    const { active, stored, pipelines } = ownersState(world.core.db.snapshot(), ownerId);
    const earlier = this.idempotencyKey === null ? undefined : pipelines.find((p) => p.idempotencyKey === this.idempotencyKey);
    const result = await startTraining(world.core.deps, {
      ownerId,
      ...(this.idempotencyKey === null ? {} : { idempotencyKey: this.idempotencyKey }),
    });
    if (earlier) {
      // A repeated request returns the owner's own earlier training, whatever became of it.
      const again = expectOk(result, String(this));
      expect(again.created).toBe(false);
      expect(again.pipeline.id).toBe(earlier.id);
      return;
    }
    if (active) {
      expect(expectErr(result, String(this)).code).toBe('training.already_active');
      return;
    }
    if (stored.length < MIN_PHOTOS) {
      expect(expectErr(result, String(this)).code).toBe('training.not_enough_photos');
      return;
    }
    const started = expectOk(result, String(this));
    expect(started.created).toBe(true);
    expectFreshPipeline(started.pipeline, ownerId, stored);
    model.pipelines[this.owner]!.push(started.pipeline.id);
  }

  toString(): string {
    return `${this.owner}.startTraining(${this.idempotencyKey === null ? '' : `Idempotency-Key: ${this.idempotencyKey}`})`;
  }
}

abstract class OnPipeline extends WorldCommand {
  constructor(
    readonly actor: string,
    readonly target: string,
    readonly index: number,
  ) {
    super();
  }

  override check(model: Readonly<Model>): boolean {
    return model.pipelines[this.target]!.length > 0;
  }

  protected describe(verb: string): string {
    const whose = this.actor === this.target ? 'own' : `${this.target}'s`;
    return `${this.actor}.${verb}(${whose} pipeline ${describeIndex(this.index)})`;
  }
}

/** POST /v1/trainings/:id/cancel, on an own pipeline or another owner's id. */
export class CancelTraining extends OnPipeline {
  protected async act(model: Model, world: World): Promise<void> {
    const pipelineId = pick(model.pipelines[this.target]!, this.index)!;
    const before = world.core.db.snapshot();
    const result = await cancelTraining(world.core.deps, { ownerId: ownerIdOf(this.actor), pipelineId });
    if (this.actor !== this.target) {
      expect(expectErr(result, String(this)).code).toBe('training.not_found');
      expect(world.core.db.snapshot()).toEqual(before);
      world.coverage.foreignAttempts += 1;
      return;
    }
    const previous = before.pipelines.find((p) => p.id === pipelineId)!;
    if (!isActive(previous)) {
      expect(expectErr(result, String(this)).code).toBe('training.already_finished');
      return;
    }
    const canceled = expectOk(result, String(this));
    expect(canceled.status).toBe('canceled');
    expect(canceled.failure.code).toBe('training.canceled_by_owner');
  }

  toString(): string {
    return this.describe('cancel');
  }
}

/** POST /v1/trainings/:id/restart: only failed or canceled pipelines, into a new pipeline. */
export class RestartTraining extends OnPipeline {
  protected async act(model: Model, world: World): Promise<void> {
    const pipelineId = pick(model.pipelines[this.target]!, this.index)!;
    const actorId = ownerIdOf(this.actor);
    const before = world.core.db.snapshot();
    const result = await restartTraining(world.core.deps, { ownerId: actorId, pipelineId });
    if (this.actor !== this.target) {
      expect(expectErr(result, String(this)).code).toBe('training.not_found');
      expect(world.core.db.snapshot()).toEqual(before);
      world.coverage.foreignAttempts += 1;
      return;
    }
    const previous = before.pipelines.find((p) => p.id === pipelineId)!;
    const { active, stored } = ownersState(before, actorId);
    if (previous.status !== 'failed' && previous.status !== 'canceled') {
      expect(expectErr(result, String(this)).code).toBe('training.not_restartable');
    } else if (active) {
      expect(expectErr(result, String(this)).code).toBe('training.already_active');
    } else if (stored.length < MIN_PHOTOS) {
      expect(expectErr(result, String(this)).code).toBe('training.not_enough_photos');
    } else {
      const restarted = expectOk(result, String(this));
      expectFreshPipeline(restarted, actorId, stored);
      expect(restarted.restartOf).toBe(previous.id);
      expect(restarted.id).not.toBe(previous.id);
      model.pipelines[this.actor]!.push(restarted.id);
    }
  }

  toString(): string {
    return this.describe('restart');
  }
}
