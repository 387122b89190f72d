import type { ActivePipeline, OwnerId, Repositories, TrainingPipeline, UnitOfWork, Upload } from '@selfie-lora/core';
import type { ResultAsync } from 'neverthrow';
import {
  anOwner,
  canceled,
  cleanedUp,
  failed,
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

/** Each pipeline's state and what `judge` says of it: two judges agree when the lists are equal. */
export function verdicts(all: readonly TrainingPipeline[], judge: (p: TrainingPipeline) => boolean): string[] {
  return all.map((p) => `${p.status}${'packageDeletedAt' in p && p.packageDeletedAt ? ' cleaned up' : ''}: ${judge(p)}`);
}

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
    return this.run((r) => r.pipelines.update(next));
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

  /** A fresh owner's pipeline saved at active stage `stage`: 0 queued ... 5 training. */
  async atStage(stage: number): Promise<ActivePipeline> {
    const { uploads, p } = await this.queued(anOwner());
    if (stage === 0) return p;
    const v = await this.save(verifying(p));
    if (stage === 1) return v;
    const pk = await this.save(packaging(v, uploads));
    if (stage === 2) return pk;
    const vp = await this.save(verifyingPackage(pk));
    if (stage === 3) return vp;
    const s = await this.save(submitting(vp));
    if (stage === 4) return s;
    return this.save(training(s));
  }

  /**
   * One pipeline in each lifecycle state the core can reach: every active stage; failed and
   * canceled from every stage, with their clean-up owed and done; succeeded, likewise.
   */
  async everyLifecycleState(): Promise<TrainingPipeline[]> {
    const all: TrainingPipeline[] = [];
    for (let stage = 0; stage <= 5; stage += 1) {
      all.push(await this.atStage(stage));
      for (const end of [failed, canceled]) {
        const ended = await this.save(end(await this.atStage(stage)));
        all.push(ended, await this.save(cleanedUp(await this.save(end(await this.atStage(stage))))));
      }
    }
    const done = (await this.succeededWithoutModel(anOwner())).pipeline;
    all.push(done, await this.save(cleanedUp((await this.succeededWithoutModel(anOwner())).pipeline)));
    return all;
  }
}
