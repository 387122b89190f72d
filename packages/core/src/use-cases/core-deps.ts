import type { DestinationStrategy } from '../domain/destination.js';
import type { RetryPolicy } from '../domain/training-pipeline.js';
import type { PhotoCheckPolicy } from '../domain/photo-checks.js';
import type { QuotaPolicy } from '../domain/quotas.js';
import type { UploadPolicy } from '../domain/upload.js';
import type { FaceInspector } from '../ports/face-inspector.js';
import type { PhotoNormaliser } from '../ports/photo-normaliser.js';
import type { Clock } from '../ports/clock.js';
import type { EventLog } from '../ports/event-log.js';
import type { IdSource } from '../ports/id-source.js';
import type { ImageInspector } from '../ports/image-inspector.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { Packager } from '../ports/packager.js';
import type { UnitOfWork } from '../ports/repositories.js';
import type { Trainer, TrainerErasure, TrainerInventory } from '../ports/trainer.js';

export interface CoreConfig {
  readonly uploadPolicy: UploadPolicy;
  /** Photos needed to start a training; never below 1 whatever is configured. */
  readonly minPhotos: number;
  readonly destinationStrategy: DestinationStrategy;
  readonly retryPolicy: RetryPolicy;
  /** Lifetime of the signed URL the trainer downloads the package from. */
  readonly packageUrlTtlSeconds: number;
  readonly photoChecks: PhotoCheckPolicy;
  /** The most photos one training may use (trainers recommend 10 to 20). */
  readonly maxTrainingPhotos: number;
  /**
   * Judge photos after answering (status `checking`; the worker normalises and checks them):
   * the service's default. Absent or false: judged before the answer, as a library embeds it.
   */
  readonly checkPhotosAfterAnswer?: boolean;
  /** Per-owner quotas; absent, none are enforced (the service's composition root always sets them). */
  readonly quotas?: QuotaPolicy;
}

/** Everything a use case may touch: ports and configuration, injected by the composition root. */
export interface CoreDeps {
  readonly uow: UnitOfWork;
  readonly objects: ObjectStore;
  readonly images: ImageInspector;
  /** Normalises every photo at ingest (orientation, sRGB, no metadata; HEIC to JPEG). */
  readonly photos: PhotoNormaliser;
  /** Null when photo checks are switched off (FACE_CHECKS=off): photos are stored unchecked. */
  readonly faces: FaceInspector | null;
  readonly packager: Packager;
  /** Runs trainings, lists what exists at the trainer for the audit, deletes what an erasure owes. */
  readonly trainer: Trainer & TrainerInventory & TrainerErasure;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly log: EventLog;
  readonly config: CoreConfig;
}
