import { describe, expect, it } from 'vitest';
import { trusted, type PipelineId } from '@selfie-lora/core';
import { MemoryObjectStore } from '../../src/memory/memory-object-store.js';
import { MemoryTrainer } from '../../src/memory/memory-trainer.js';
import { ManualClock } from '../../src/memory/manual-clock.js';
import { trainerContract } from './trainer.contract.js';

trainerContract('in memory', () => {
  const clock = new ManualClock();
  const store = new MemoryObjectStore(clock);
  const webhookUrl = 'https://selfie-lora.example/v1/webhooks/replicate';
  const trainer = new MemoryTrainer(store, { webhookUrl, clock });
  const packageKey = (pipelineId: string) => `trainings/contract-owner/${pipelineId}/training.zip`;
  return Promise.resolve({
    trainer,
    webhookUrl,
    async stagePackage(pipelineId, zip) {
      store.setBytes(packageKey(pipelineId), zip);
      return (await store.signedGetUrl(packageKey(pipelineId), 3600))._unsafeUnwrap();
    },
    async missingPackageUrl(pipelineId) {
      return (await store.signedGetUrl(packageKey(pipelineId), 3600))._unsafeUnwrap();
    },
    finish(trainerTrainingId, outcome) {
      trainer.finish(trainerTrainingId, outcome);
      return Promise.resolve();
    },
    plantVersion: (destination) => Promise.resolve(trainer.plantVersion(destination)),
    plantTraining: (destination, webhook) => Promise.resolve(trainer.plantTraining({ destination, webhook }).trainerTrainingId),
    breakNextListing(kind) {
      trainer.faults.failNext(kind === 'versions' ? 'listVersions' : 'listTrainings');
    },
    close: () => Promise.resolve(),
  });
});

// What only the fake offers: planting trainings in any state, for the audit's tests.
describe('MemoryTrainer test helpers', () => {
  const destination = { owner: 'selfie-lora', name: 'selfie-lora-planted' };
  const version = `selfie-lora/selfie-lora-planted:${'c'.repeat(64)}`;

  it('plantTraining: listed as planted, known to get and cancel, never to `trainings`', async () => {
    const trainer = new MemoryTrainer(new MemoryObjectStore(new ManualClock()));
    const done = trainer.plantTraining({ destination, webhook: 'https://collector.example/hook', status: 'succeeded', outputVersion: version });
    const running = trainer.plantTraining({ destination: null });
    expect((await trainer.listTrainings())._unsafeUnwrap()).toEqual([
      { trainerTrainingId: running.trainerTrainingId, destination: null, webhook: null, status: 'starting', outputVersion: null, createdAt: null, pipelineId: null },
      { trainerTrainingId: done.trainerTrainingId, destination, webhook: 'https://collector.example/hook', status: 'succeeded', outputVersion: version, createdAt: null, pipelineId: null },
    ]);
    expect((await trainer.get(done.trainerTrainingId))._unsafeUnwrap()).toEqual({
      trainerTrainingId: done.trainerTrainingId,
      destination,
      status: 'succeeded',
      outputVersion: version,
      error: null,
      pipelineId: null,
    });
    (await trainer.cancel(running.trainerTrainingId))._unsafeUnwrap();
    expect((await trainer.get(running.trainerTrainingId))._unsafeUnwrap().status).toBe('canceled');
    expect(trainer.trainings.size).toBe(0);
    // Its version is not at the destination unless the test plants it too.
    expect((await trainer.listVersions(destination))._unsafeUnwrap()).toEqual([]);
  });

  it('plantTraining may name a pipeline, as a training made from its package URL does', async () => {
    const trainer = new MemoryTrainer(new MemoryObjectStore(new ManualClock()));
    const pipelineId = trusted<PipelineId>('pipeline-named');
    const planted = trainer.plantTraining({ destination, pipelineId });
    expect(planted.pipelineId).toBe(pipelineId);
    expect((await trainer.listTrainings())._unsafeUnwrap()).toMatchObject([{ trainerTrainingId: planted.trainerTrainingId, pipelineId }]);
    // Found by the pipeline it names, as Replicate finds a training by its input URL.
    expect((await trainer.findSubmission(pipelineId))._unsafeUnwrap()).toMatchObject({ trainerTrainingId: planted.trainerTrainingId, destination });
    expect((await trainer.findSubmission(trusted<PipelineId>('pipeline-other')))._unsafeUnwrap()).toBeNull();
  });

  it('plantTraining refuses what the real adapter could never report', () => {
    const trainer = new MemoryTrainer(new MemoryObjectStore(new ManualClock()));
    expect(() => trainer.plantTraining({ destination, status: 'succeeded' })).toThrow(/output version/);
    expect(() => trainer.plantTraining({ destination, outputVersion: 'latest' })).toThrow(/malformed/);
  });

  it('plantVersion: the given id or a fresh one, once per destination, stamped by the clock when there is one', async () => {
    const clock = new ManualClock(new Date('2026-02-01T00:00:00.000Z'));
    const trainer = new MemoryTrainer(new MemoryObjectStore(clock), { clock });
    expect(trainer.plantVersion(destination, 'c'.repeat(64))).toBe(version);
    clock.advance(1000);
    const fresh = trainer.plantVersion(destination);
    expect(fresh).not.toBe(version);
    trainer.plantVersion(destination, 'c'.repeat(64));
    expect((await trainer.listVersions(destination))._unsafeUnwrap()).toEqual([
      { version: fresh, createdAt: new Date('2026-02-01T00:00:01.000Z') },
      { version, createdAt: new Date('2026-02-01T00:00:00.000Z') },
    ]);
  });

  it('listing faults are transient trainer.unavailable, one call each', async () => {
    const trainer = new MemoryTrainer(new MemoryObjectStore(new ManualClock()));
    trainer.faults.failNext('listTrainings');
    trainer.faults.failNext('listVersions');
    expect((await trainer.listTrainings())._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.unavailable', transient: true });
    expect((await trainer.listVersions(destination))._unsafeUnwrapErr()).toMatchObject({ code: 'trainer.unavailable', transient: true });
    expect((await trainer.listTrainings()).isOk()).toBe(true);
  });
});
