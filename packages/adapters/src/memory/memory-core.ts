import {
  DEFAULT_MAX_TRAINING_PHOTOS,
  DEFAULT_MIN_PHOTOS,
  DEFAULT_PACKAGE_URL_TTL_SECONDS,
  defaultPhotoCheckPolicy,
  defaultRetryPolicy,
  defaultUploadPolicy,
  type CoreConfig,
  type CoreDeps,
  type FaceInspector,
  type ImageInspector,
  type PhotoNormaliser,
} from '@selfie-lora/core';
import { ImageWorkQueue } from '../images/image-work-queue.js';
import { LazySharpImageInspector, LazySharpPhotoNormaliser } from '../images/lazy-sharp-image-inspector.js';
import { FakeFaceInspector } from './fake-face-inspector.js';
import { ManualClock } from './manual-clock.js';
import { MemoryDatabase } from './memory-database.js';
import { MemoryObjectStore } from './memory-object-store.js';
import { MemoryPackager } from './memory-packager.js';
import { MemoryTrainer } from './memory-trainer.js';
import { RecordingEventLog } from './recording-event-log.js';
import { SequentialIdSource } from './sequential-id-source.js';

export const defaultCoreConfig: CoreConfig = {
  uploadPolicy: defaultUploadPolicy,
  minPhotos: DEFAULT_MIN_PHOTOS,
  destinationStrategy: { kind: 'per-owner', account: 'selfie-lora' },
  retryPolicy: defaultRetryPolicy,
  packageUrlTtlSeconds: DEFAULT_PACKAGE_URL_TTL_SECONDS,
  photoChecks: defaultPhotoCheckPolicy,
  maxTrainingPhotos: DEFAULT_MAX_TRAINING_PHOTOS,
};

export interface MemoryCore {
  readonly deps: CoreDeps;
  readonly clock: ManualClock;
  readonly db: MemoryDatabase;
  readonly store: MemoryObjectStore;
  readonly packager: MemoryPackager;
  readonly trainer: MemoryTrainer;
  readonly log: RecordingEventLog;
}

/** The whole core wired to in-memory adapters: for fast tests and hosts that want a dry run. */
export function createMemoryCore(
  options: {
    config?: Partial<CoreConfig>;
    images?: ImageInspector;
    photos?: PhotoNormaliser;
    /** Default: a `FakeFaceInspector` that sees one face of one person in every photo; null: no checks. */
    faces?: FaceInspector | null;
    autoComplete?: boolean;
    /** Reported as the webhook of every training the trainer accepts (for the audit). */
    webhookUrl?: string;
  } = {},
): MemoryCore {
  const clock = new ManualClock();
  const db = new MemoryDatabase();
  const store = new MemoryObjectStore(clock);
  const packager = new MemoryPackager(store);
  const trainer = new MemoryTrainer(store, { autoComplete: options.autoComplete ?? false, clock, webhookUrl: options.webhookUrl ?? null });
  const log = new RecordingEventLog();
  const queue = new ImageWorkQueue();
  const deps: CoreDeps = {
    uow: db,
    objects: store,
    images: options.images ?? new LazySharpImageInspector(),
    photos: options.photos ?? new LazySharpPhotoNormaliser({ queue }),
    faces: options.faces === undefined ? new FakeFaceInspector() : options.faces,
    packager,
    trainer,
    clock,
    ids: new SequentialIdSource(),
    log,
    config: { ...defaultCoreConfig, ...options.config },
  };
  return { deps, clock, db, store, packager, trainer, log };
}
