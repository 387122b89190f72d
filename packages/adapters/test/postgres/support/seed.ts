import type { OwnerId, Repositories, TrainingPipeline, UnitOfWork, Upload } from '@selfie-lora/core';
import type { ResultAsync } from 'neverthrow';
import {
  packaging,
  photosOf,
  queued,
  setOf,
  submitting,
  succeeded,
  training,
  verifying,
  verifyingPackage,
} from '../../contracts/repositories.fixtures.js';

/** Valid rows written through the adapter, for raw-SQL tests to break. */
export class Seed {
  constructor(private readonly uow: UnitOfWork) {}

  async run<T>(work: (repositories: Repositories) => ResultAsync<T, unknown>): Promise<T> {
    return (await this.uow.transaction(work))._unsafeUnwrap();
  }

  async uploads(owner: OwnerId, count = 2): Promise<Upload[]> {
    const uploads = photosOf(owner, count);
    for (const upload of uploads) await this.run((r) => r.uploads.insert(upload));
    return uploads;
  }

  async save<P extends TrainingPipeline>(next: P): Promise<P> {
    return (await this.run((r) => r.pipelines.update(next))) as P;
  }

  async queued(owner: OwnerId) {
    const uploads = await this.uploads(owner);
    const p = await this.run((r) => r.pipelines.insert(queued(setOf(owner, uploads))));
    return { uploads, p: p as ReturnType<typeof queued> };
  }

  async training(owner: OwnerId) {
    const { uploads, p } = await this.queued(owner);
    const ready = await this.save(submitting(await this.save(verifyingPackage(await this.save(packaging(await this.save(verifying(p)), uploads))))));
    return { uploads, p: await this.save(training(ready)) };
  }

  /** A succeeded pipeline saved without its model, and the model it produced. */
  async succeededWithoutModel(owner: OwnerId) {
    const { uploads, p } = await this.training(owner);
    const done = succeeded(p);
    return { uploads, pipeline: await this.save(done.pipeline), model: done.model };
  }
}
