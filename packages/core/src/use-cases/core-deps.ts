import type { DestinationStrategy } from '../domain/destination.js';
import type { RetryPolicy } from '../domain/training-pipeline.js';
import type { QuotaPolicy } from '../domain/quotas.js';
import type { UploadPolicy } from '../domain/upload.js';
import type { Clock } from '../ports/clock.js';
import type { EventLog } from '../ports/event-log.js';
import type { IdSource } from '../ports/id-source.js';
import type { ImageInspector } from '../ports/image-inspector.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { Packager } from '../ports/packager.js';
import type { UnitOfWork } from '../ports/repositories.js';
import type { Trainer, TrainerInventory } from '../ports/trainer.js';

export interface CoreConfig {
  readonly uploadPolicy: UploadPolicy;
  /** Photos needed to start a training; never below 1 whatever is configured. */
  readonly minPhotos: number;
  readonly destinationStrategy: DestinationStrategy;
  readonly retryPolicy: RetryPolicy;
  /** Lifetime of the signed URL the trainer downloads the package from. */
  readonly packageUrlTtlSeconds: number;
  /** Per-owner quotas; absent, none are enforced (the service's composition root always sets them). */
  readonly quotas?: QuotaPolicy;
}

/** Everything a use case may touch: ports and configuration, injected by the composition root. */
export interface CoreDeps {
  readonly uow: UnitOfWork;
  readonly objects: ObjectStore;
  readonly images: ImageInspector;
  readonly packager: Packager;
  /** Runs trainings, and lists what exists at the trainer for the audit. */
  readonly trainer: Trainer & TrainerInventory;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly log: EventLog;
  readonly config: CoreConfig;
}
