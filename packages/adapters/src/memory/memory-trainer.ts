import { unzipSync } from 'fflate';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import {
  destinationRef,
  domainError,
  transientError,
  type Destination,
  type PipelineId,
  type Sha256,
  type Submission,
  type Trainer,
  type TrainerError,
  type TrainerReport,
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
}

/** The version a training of exactly these images produces: a function of their hashes only. */
export function versionFor(destination: Destination, images: readonly Sha256[]): string {
  const hash = createHash('sha256').update([...images].sort().join('\n')).digest('hex');
  return `${destinationRef(destination)}:${hash}`;
}

/**
 * A trainer in memory, for fast tests and dry runs. Like the real one it downloads the package
 * from the signed URL it is given, and its versions derive from the images it received, so a
 * test can prove which photos a model was made of. `autoComplete` finishes trainings on the
 * first poll (dry runs); otherwise tests finish them with `finish`.
 */
export class MemoryTrainer implements Trainer {
  readonly faults = new FaultPlan<'submit' | 'get' | 'find' | 'cancel'>();
  readonly trainings = new Map<string, MemoryTraining>();
  readonly destinations = new Set<string>();
  private counter = 0;

  constructor(
    private readonly store: MemoryObjectStore,
    private readonly options: { readonly autoComplete?: boolean } = {},
  ) {}

  private report(training: MemoryTraining): TrainerReport {
    return {
      trainerTrainingId: training.id,
      destination: training.destination,
      status: training.status,
      outputVersion: training.outputVersion,
      error: training.error,
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
    };
    this.trainings.set(training.id, training);
    return okAsync(this.report(training));
  }

  findSubmission(pipelineId: PipelineId): ResultAsync<TrainerReport | null, TrainerError> {
    if (this.faults.take('find')) return errAsync(transientError('trainer.unavailable', 'injected find fault'));
    const found = [...this.trainings.values()].find((t) => t.pipelineId === pipelineId);
    return okAsync(found ? this.report(found) : null);
  }

  get(trainerTrainingId: string): ResultAsync<TrainerReport, TrainerError> {
    if (this.faults.take('get')) return errAsync(transientError('trainer.unavailable', 'injected get fault'));
    const training = this.trainings.get(trainerTrainingId);
    if (!training) return errAsync(domainError('trainer.rejected', `unknown training ${trainerTrainingId}`));
    if (this.options.autoComplete === true && (training.status === 'starting' || training.status === 'processing')) {
      this.finish(training.id, 'succeeded');
    }
    return okAsync(this.report(training));
  }

  cancel(trainerTrainingId: string): ResultAsync<void, TrainerError> {
    if (this.faults.take('cancel')) return errAsync(transientError('trainer.unavailable', 'injected cancel fault'));
    const training = this.trainings.get(trainerTrainingId);
    if (training && (training.status === 'starting' || training.status === 'processing')) training.status = 'canceled';
    return okAsync(undefined);
  }

  /** Ends a training as the real trainer would, and returns the report it would send. */
  finish(trainerTrainingId: string, outcome: 'succeeded' | 'failed' | 'canceled'): TrainerReport {
    const training = this.trainings.get(trainerTrainingId);
    if (!training) throw new Error(`no training ${trainerTrainingId}`);
    training.status = outcome;
    training.outputVersion = outcome === 'succeeded' ? versionFor(training.destination, training.receivedImages) : null;
    training.error = outcome === 'failed' ? 'simulated training failure' : null;
    return this.report(training);
  }
}
