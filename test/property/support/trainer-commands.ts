import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import {
  applyTrainerReport,
  cancelTraining,
  destinationFor,
  destinationRef,
  isActive,
  restartTraining,
  type Destination,
  type PipelineId,
  type TrainerReport,
} from '@selfie-lora/core';
import { checkInvariants } from './invariants.js';
import { WorldCommand } from './world-command.js';
import { expectOk, ownerIdOf, type Model, type World } from './world.js';

type Snapshot = ReturnType<World['core']['db']['snapshot']>;

/** A delivery that must change nothing: refused (Err) or acknowledged as ignored/unchanged. */
async function deliverHarmless(world: World, report: TrainerReport, what: string): Promise<void> {
  const before = world.core.db.snapshot();
  const result = await applyTrainerReport(world.core.deps, report);
  if (result.isOk()) expect(['ignored', 'unchanged'], what).toContain(result.value.kind);
  expect(world.core.db.snapshot(), `${what} changed the database`).toEqual(before);
}

/**
 * A forged or altered report. A webhook only triggers reading the trainer's own answer about the
 * training it names, so: if that training's pipeline is waiting and the trainer really finished
 * it, exactly the trainer's answer is applied (never the report's claims); otherwise nothing changes.
 */
async function deliverForged(world: World, report: TrainerReport, what: string): Promise<void> {
  const genuine = world.core.trainer.trainings.get(report.trainerTrainingId);
  const pipeline = genuine && world.core.db.snapshot().pipelines.find((p) => p.id === genuine.pipelineId);
  const finished = genuine !== undefined && ['succeeded', 'failed', 'canceled'].includes(genuine.status);
  if (!genuine || pipeline?.status !== 'training' || !finished) {
    await deliverHarmless(world, report, what);
    return;
  }
  const outcome = expectOk(await applyTrainerReport(world.core.deps, report), what);
  expect(outcome.kind, what).toBe('applied');
  expect(outcome.pipeline.status, what).toBe(genuine.status);
  expect(outcome.model?.version ?? null, what).toBe(genuine.status === 'succeeded' ? genuine.outputVersion : null);
}

/** The webhook path for a genuine report; what it must do depends on where the pipeline is. */
async function deliverGenuine(world: World, report: TrainerReport, what: string): Promise<void> {
  const training = world.core.trainer.trainings.get(report.trainerTrainingId)!;
  const before: Snapshot = world.core.db.snapshot();
  const pipeline = before.pipelines.find((p) => p.id === training.pipelineId);
  if (pipeline?.status !== 'training') {
    // Late (after cancel, failure or restart) or duplicate: ignored, nothing changes.
    world.coverage.lateReports += 1;
    if (report.status === 'succeeded' && (pipeline?.status === 'canceled' || pipeline?.status === 'failed')) world.coverage.lateSuccesses += 1;
    await deliverHarmless(world, report, what);
    return;
  }
  const outcome = expectOk(await applyTrainerReport(world.core.deps, report), what);
  expect(outcome.kind).toBe('applied');
  const expected = { succeeded: 'succeeded', failed: 'failed', canceled: 'canceled', starting: 'training', processing: 'training' }[report.status];
  expect(outcome.pipeline.status).toBe(expected);
  if (report.status === 'succeeded') expect(outcome.model?.version).toBe(training.outputVersion);
}

export type Delivery = 'webhook' | 'webhook twice' | 'lost' | 'late, after cancel' | 'late, after cancel and restart';

/**
 * The trainer ends a running training; its webhook arrives once, twice, is lost (polling remains),
 * or arrives late: the owner canceled (and maybe restarted) while it was on its way.
 */
export class FinishTraining extends WorldCommand {
  constructor(
    readonly index: number,
    readonly outcome: 'succeeded' | 'failed' | 'canceled',
    readonly delivery: Delivery,
  ) {
    super();
  }

  override check(model: Readonly<Model>): boolean {
    return model.unfinished > 0;
  }

  protected async act(model: Model, world: World): Promise<void> {
    const running = [...world.core.trainer.trainings.values()].filter((t) => t.status === 'starting' || t.status === 'processing');
    const training = running[this.index % running.length]!;
    const report = world.core.trainer.finish(training.id, this.outcome);
    world.reports.push(report);
    if (this.delivery === 'lost') return;
    if (this.delivery.startsWith('late')) await this.ownerCancels(model, world, training.pipelineId);
    // One observation per core call, so I7 sees every transition, not only the command's net effect.
    checkInvariants(world);
    await deliverGenuine(world, report, String(this));
    if (this.delivery === 'webhook twice') {
      checkInvariants(world);
      await deliverHarmless(world, report, `${String(this)} (redelivery)`);
    }
  }

  /** The owner cancels the pipeline (if still active) while the report is in flight, and maybe restarts. */
  private async ownerCancels(model: Model, world: World, pipelineId: PipelineId): Promise<void> {
    const pipeline = world.core.db.snapshot().pipelines.find((p) => p.id === pipelineId)!;
    const owner = world.owners.find((name) => ownerIdOf(name) === pipeline.ownerId)!;
    if (!isActive(pipeline)) return;
    expectOk(await cancelTraining(world.core.deps, { ownerId: pipeline.ownerId, pipelineId }), `${String(this)}: cancel`);
    if (this.delivery !== 'late, after cancel and restart') return;
    checkInvariants(world);
    const restarted = await restartTraining(world.core.deps, { ownerId: pipeline.ownerId, pipelineId });
    // Whether a restart is possible depends on the photos left; StartTraining checks those rules.
    if (restarted.isOk()) model.pipelines[owner]!.push(restarted.value.id);
  }

  toString(): string {
    return `trainer.finish(running training #${this.index}, ${this.outcome}) -> ${this.delivery}`;
  }
}

/** A report the trainer sent earlier arrives (again), possibly long after: duplicate or late. */
export class RedeliverReport extends WorldCommand {
  constructor(readonly index: number) {
    super();
  }

  override check(model: Readonly<Model>): boolean {
    return model.reports > 0;
  }

  protected async act(_model: Model, world: World): Promise<void> {
    await deliverGenuine(world, world.reports[this.index % world.reports.length]!, String(this));
  }

  toString(): string {
    return `webhook.redeliver(report #${this.index})`;
  }
}

/** `bogus version`: the victim's own destination with a version its training never produced. */
export const FORGERIES = ['unknown training', 'forger destination', 'forger version', 'no destination', 'bogus version'] as const;
export type Forgery = (typeof FORGERIES)[number];

/**
 * A report nobody at the trainer sent: a made-up training id, or the real training id of one owner
 * carrying another owner's (the forger's) destination or version. Nothing may change.
 */
export class ForgeReport extends WorldCommand {
  constructor(
    readonly forger: string,
    readonly kind: Forgery,
    readonly index: number,
    readonly seed: number,
  ) {
    super();
  }

  override check(model: Readonly<Model>): boolean {
    return this.kind === 'unknown training' || model.trainings.some((t) => t.owner !== this.forger);
  }

  protected async act(model: Model, world: World): Promise<void> {
    const strategy = world.core.deps.config.destinationStrategy;
    const forgerDestination = destinationFor(strategy, ownerIdOf(this.forger));
    const version = (at: Destination) =>
      `${destinationRef(at)}:${createHash('sha256').update(`forged-${this.seed}`).digest('hex')}`;
    const victims = model.trainings.filter((t) => t.owner !== this.forger);
    const victim = this.kind === 'unknown training' ? undefined : world.core.trainer.trainings.get(victims[this.index % victims.length]!.id)!;
    const report: TrainerReport =
      victim === undefined
        ? { trainerTrainingId: `forged-${this.seed}`, destination: forgerDestination, status: 'succeeded', outputVersion: version(forgerDestination), error: null }
        : {
            trainerTrainingId: victim.id,
            destination:
              this.kind === 'forger destination' ? forgerDestination : this.kind === 'no destination' ? null : victim.destination,
            status: 'succeeded',
            outputVersion: version(this.kind === 'bogus version' ? victim.destination : forgerDestination),
            error: null,
          };
    await deliverForged(world, report, String(this));
    world.coverage.forgedRefused += 1;
  }

  toString(): string {
    return this.kind === 'unknown training'
      ? `${this.forger}.forgeWebhook(unknown training forged-${this.seed})`
      : `${this.forger}.forgeWebhook(${this.kind}, on another owner's training #${this.index})`;
  }
}
