import { unzipSync } from 'fflate';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import {
  isRunningAtTrainer,
  destinationRef,
  domainError,
  parseVersion,
  transientError,
  type Clock,
  type Destination,
  type PipelineId,
  type Sha256,
  type Submission,
  type Trainer,
  type TrainerDeletionError,
  type TrainerErasure,
  type TrainerError,
  type TrainerInventory,
  type TrainerReport,
  type TrainerTraining,
  type TrainerVersion,
} from '@selfie-lora/core';
import { createHash } from 'node:crypto';
import { FaultPlan } from './fault-plan.js';
import { sha256Hex, type MemoryObjectStore } from './memory-object-store.js';

export interface MemoryTraining {
  readonly id: string;
  readonly pipelineId: PipelineId;
  readonly destination: Destination;
  readonly inputUrl: string;
  readonly triggerWord: string;
  status: TrainerReport['status'];
  outputVersion: string | null;
  error: string | null;
  /** SHA-256 of every image the trainer really downloaded: what the model is made of. */
  readonly receivedImages: readonly Sha256[];
  /** The webhook it reports to (the trainer's `webhookUrl`), as the audit lists it. */
  readonly webhook: string | null;
  readonly createdAt: Date | null;
}

/** A training no pipeline of ours submitted (made out of band), for audit tests. */
export interface PlantedTraining {
  readonly id: string;
  /** The pipeline its input names, as a training made from a pipeline's package URL would. */
  readonly pipelineId: PipelineId | null;
  readonly destination: Destination | null;
  readonly webhook: string | null;
  status: TrainerReport['status'];
  outputVersion: string | null;
  readonly createdAt: Date | null;
}

export interface MemoryTrainerOptions {
  /** Trainings finish `succeeded` on their first poll (dry runs). */
  readonly autoComplete?: boolean;
  /** Reported as the webhook of every training it accepts, as the Replicate adapter's `webhookUrl` is; none when absent. */
  readonly webhookUrl?: string | null;
  /** Stamps trainings and versions with `createdAt`; without one it is null (the port allows it). */
  readonly clock?: Clock;
}

type FaultOp = 'submit' | 'get' | 'find' | 'cancel' | 'listVersions' | 'listTrainings' | 'listRecentTrainings' | 'deleteVersion' | 'deleteModel';

/** The version a training of exactly these images produces: a function of their hashes only. */
export function versionFor(destination: Destination, images: readonly Sha256[]): string {
  const hash = createHash('sha256').update([...images].sort().join('\n')).digest('hex');
  return `${destinationRef(destination)}:${hash}`;
}

/**
 * A trainer in memory, for fast tests and dry runs. Like the real one it downloads the package
 * from the signed URL it is given, and its versions derive from the images it received, so a
 * test can prove which photos a model was made of. `autoComplete` finishes trainings on the
 * first poll (dry runs); otherwise tests finish them with `finish`. For the audit it lists what
 * it holds, including what tests plant out of band (`plantVersion`, `plantTraining`).
 */
function plantedReport({ id, destination, status, outputVersion, pipelineId }: PlantedTraining): TrainerReport {
  return { trainerTrainingId: id, destination, status, outputVersion, error: status === 'failed' ? 'planted training failure' : null, pipelineId };
}

export class MemoryTrainer implements Trainer, TrainerInventory, TrainerErasure {
  readonly faults = new FaultPlan<FaultOp>();
  /** Trainings submitted through `submit`, by id (tests count and inspect them). */
  readonly trainings = new Map<string, MemoryTraining>();
  /** Trainings planted by tests; kept apart so `trainings` holds only real submissions. */
  readonly planted = new Map<string, PlantedTraining>();
  readonly destinations = new Set<string>();
  /** Versions per destination (`owner/name`), most recent first, as the trainer lists them. */
  private readonly versions = new Map<string, TrainerVersion[]>();
  /** Versions Replicate would refuse to delete (run by someone else, used as a base), with why. */
  private readonly undeletable = new Map<string, string>();
  /** Destinations made public out of band: Replicate deletes only private models and their versions. */
  private readonly publicModels = new Set<string>();
  /** Ids of both maps in creation order: listings answer most recent first. */
  private readonly order: string[] = [];
  private counter = 0;

  constructor(
    private readonly store: MemoryObjectStore,
    private readonly options: MemoryTrainerOptions = {},
  ) {}

  private now(): Date | null {
    return this.options.clock?.now() ?? null;
  }

  private report(training: MemoryTraining): TrainerReport {
    return {
      trainerTrainingId: training.id,
      destination: training.destination,
      status: training.status,
      outputVersion: training.outputVersion,
      error: training.error,
      pipelineId: training.pipelineId,
    };
  }

  submit(submission: Submission): ResultAsync<TrainerReport, TrainerError> {
    if (this.faults.take('submit')) return errAsync(transientError('trainer.unavailable', 'injected submit fault'));
    return this.store.fetchSigned(submission.inputUrl).match(
      (zip) => this.accept(submission, zip),
      (reason) => errAsync(domainError('trainer.rejected', `input download failed: ${reason}`)),
    );
  }

  private accept(submission: Submission, zip: Uint8Array): ResultAsync<TrainerReport, TrainerError> {
    let images: Sha256[];
    try {
      images = Object.entries(unzipSync(zip))
        .filter(([name]) => !name.endsWith('.txt'))
        .map(([, bytes]) => sha256Hex(bytes));
    } catch (cause) {
      return errAsync(domainError('trainer.rejected', `input is not a zip: ${String(cause)}`));
    }
    this.destinations.add(destinationRef(submission.destination));
    this.counter += 1;
    const training: MemoryTraining = {
      id: `mem-training-${this.counter}`,
      pipelineId: submission.pipelineId,
      destination: submission.destination,
      inputUrl: submission.inputUrl,
      triggerWord: submission.triggerWord,
      status: 'starting',
      outputVersion: null,
      error: null,
      receivedImages: images,
      webhook: this.options.webhookUrl ?? null,
      createdAt: this.now(),
    };
    this.trainings.set(training.id, training);
    this.order.push(training.id);
    return okAsync(this.report(training));
  }

  findSubmission(pipelineId: PipelineId): ResultAsync<TrainerReport | null, TrainerError> {
    if (this.faults.take('find')) return errAsync(transientError('trainer.unavailable', 'injected find fault'));
    const found = [...this.trainings.values()].find((t) => t.pipelineId === pipelineId);
    if (found) return okAsync(this.report(found));
    // As Replicate would: a planted training whose input names the pipeline is found too.
    const planted = [...this.planted.values()].find((t) => t.pipelineId === pipelineId);
    return okAsync(planted ? plantedReport(planted) : null);
  }

  get(trainerTrainingId: string): ResultAsync<TrainerReport, TrainerError> {
    if (this.faults.take('get')) return errAsync(transientError('trainer.unavailable', 'injected get fault'));
    const planted = this.planted.get(trainerTrainingId);
    if (planted) return okAsync(plantedReport(planted));
    const training = this.trainings.get(trainerTrainingId);
    if (!training) return errAsync(domainError('trainer.rejected', `unknown training ${trainerTrainingId}`));
    if (this.options.autoComplete === true && isRunningAtTrainer(training.status)) {
      this.finish(training.id, 'succeeded');
    }
    return okAsync(this.report(training));
  }

  cancel(trainerTrainingId: string): ResultAsync<void, TrainerError> {
    if (this.faults.take('cancel')) return errAsync(transientError('trainer.unavailable', 'injected cancel fault'));
    const training = this.trainings.get(trainerTrainingId) ?? this.planted.get(trainerTrainingId);
    if (training && isRunningAtTrainer(training.status)) training.status = 'canceled';
    return okAsync(undefined);
  }

  /** Ends a training as the real trainer would, and returns the report it would send. */
  finish(trainerTrainingId: string, outcome: 'succeeded' | 'failed' | 'canceled'): TrainerReport {
    const training = this.trainings.get(trainerTrainingId);
    if (!training) throw new Error(`no training ${trainerTrainingId}`);
    training.status = outcome;
    training.outputVersion = outcome === 'succeeded' ? versionFor(training.destination, training.receivedImages) : null;
    training.error = outcome === 'failed' ? 'simulated training failure' : null;
    if (training.outputVersion !== null) this.addVersion(training.destination, training.outputVersion);
    return this.report(training);
  }

  /** Records a version at its destination once (the same photos make the same version). */
  private addVersion(destination: Destination, version: string): void {
    const ref = destinationRef(destination);
    this.destinations.add(ref);
    const versions = this.versions.get(ref) ?? [];
    if (!versions.some((v) => v.version === version)) versions.unshift({ version, createdAt: this.now() });
    this.versions.set(ref, versions);
  }

  listVersions(destination: Destination): ResultAsync<readonly TrainerVersion[], TrainerError> {
    if (this.faults.take('listVersions')) return errAsync(transientError('trainer.unavailable', 'injected listVersions fault'));
    return okAsync([...(this.versions.get(destinationRef(destination)) ?? [])]);
  }

  listTrainings(): ResultAsync<readonly TrainerTraining[], TrainerError> {
    if (this.faults.take('listTrainings')) return errAsync(transientError('trainer.unavailable', 'injected listTrainings fault'));
    // Tests may add to or delete from `trainings` directly: list what the maps hold now.
    const ids = [...new Set([...this.order, ...this.trainings.keys(), ...this.planted.keys()])].reverse();
    return okAsync(
      ids.flatMap((id) => {
        const training = this.trainings.get(id) ?? this.planted.get(id);
        return training ? [this.listed(training)] : [];
      }),
    );
  }

  /** Every training listed (the memory trainer has no pages), cut after the first one created before `since`. */
  listRecentTrainings(since: Date): ResultAsync<readonly TrainerTraining[], TrainerError> {
    if (this.faults.take('listRecentTrainings')) return errAsync(transientError('trainer.unavailable', 'injected listRecentTrainings fault'));
    return this.listTrainings().map((all) => {
      const older = all.findIndex((t) => t.createdAt !== null && t.createdAt < since);
      return older === -1 ? all : all.slice(0, older + 1);
    });
  }

  private listed(training: MemoryTraining | PlantedTraining): TrainerTraining {
    return {
      trainerTrainingId: training.id,
      destination: training.destination,
      webhook: training.webhook,
      status: training.status,
      outputVersion: training.outputVersion,
      createdAt: training.createdAt,
      pipelineId: training.pipelineId,
    };
  }

  /** As Replicate: refused for a version of a public model, or one someone else ran or built on; absent is done. */
  deleteVersion(version: string): ResultAsync<void, TrainerDeletionError> {
    if (this.faults.take('deleteVersion')) return errAsync(transientError('trainer.unavailable', 'injected deleteVersion fault'));
    const parsed = parseVersion(version);
    if (parsed === null) return errAsync(domainError('trainer.rejected', `malformed version ${JSON.stringify(version)}`));
    const ref = destinationRef(parsed.destination);
    const versions = this.versions.get(ref) ?? [];
    if (!versions.some((v) => v.version === version)) return okAsync(undefined);
    const refusal = this.publicModels.has(ref) ? 'the model is public' : this.undeletable.get(version);
    if (refusal !== undefined) return errAsync(domainError('trainer.deletion_refused', `version ${version}: ${refusal}`));
    this.versions.set(ref, versions.filter((v) => v.version !== version));
    return okAsync(undefined);
  }

  /** As Replicate: only a private model with no version left; absent is done. */
  deleteModel(destination: Destination): ResultAsync<void, TrainerDeletionError> {
    if (this.faults.take('deleteModel')) return errAsync(transientError('trainer.unavailable', 'injected deleteModel fault'));
    const ref = destinationRef(destination);
    if (!this.destinations.has(ref)) return okAsync(undefined);
    if (this.publicModels.has(ref)) return errAsync(domainError('trainer.deletion_refused', `model ${ref} is public`));
    if ((this.versions.get(ref) ?? []).length > 0) return errAsync(domainError('trainer.deletion_refused', `model ${ref} still has versions`));
    this.destinations.delete(ref);
    this.versions.delete(ref);
    return okAsync(undefined);
  }

  /** Test-only: Replicate will refuse to delete this version (someone else ran it, or a training builds on it). */
  protectVersion(version: string, reason = 'someone else has run it'): void {
    this.undeletable.set(version, reason);
  }

  /** Test-only: the destination model was made public out of band. */
  makePublic(destination: Destination): void {
    this.publicModels.add(destinationRef(destination));
  }

  /** Test-only: a version at `destination` that no training produced; returns `owner/name:id`. */
  plantVersion(destination: Destination, versionId?: string): string {
    this.counter += 1;
    const id = versionId ?? createHash('sha256').update(`planted-version-${this.counter}`).digest('hex');
    const version = `${destinationRef(destination)}:${id}`;
    if (parseVersion(version) === null) throw new Error(`plantVersion: malformed version ${version}`);
    this.addVersion(destination, version);
    return version;
  }

  /**
   * Test-only: a training no pipeline submitted, as an operator or a leaked token could start.
   * It is listed, and `get`/`cancel` know it; its output version is not added to any
   * destination (plant that with `plantVersion` when the test wants it there). `pipelineId`
   * makes it name a pipeline, as one started from that pipeline's package URL would (default none).
   */
  plantTraining(fields: {
    readonly destination: Destination | null;
    readonly pipelineId?: PipelineId | null;
    readonly webhook?: string | null;
    readonly status?: TrainerReport['status'];
    readonly outputVersion?: string | null;
  }): TrainerTraining {
    const status = fields.status ?? 'starting';
    const outputVersion = fields.outputVersion ?? null;
    // What the real adapter could never report is refused here too.
    if (outputVersion !== null && parseVersion(outputVersion) === null) throw new Error(`plantTraining: malformed version ${outputVersion}`);
    if (status === 'succeeded' && outputVersion === null) throw new Error('plantTraining: a succeeded training has an output version');
    this.counter += 1;
    const training: PlantedTraining = {
      id: `mem-planted-${this.counter}`,
      pipelineId: fields.pipelineId ?? null,
      destination: fields.destination,
      webhook: fields.webhook ?? null,
      status,
      outputVersion,
      createdAt: this.now(),
    };
    this.planted.set(training.id, training);
    this.order.push(training.id);
    return this.listed(training);
  }
}
