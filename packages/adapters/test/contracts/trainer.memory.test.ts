import { MemoryObjectStore } from '../../src/memory/memory-object-store.js';
import { MemoryTrainer } from '../../src/memory/memory-trainer.js';
import { ManualClock } from '../../src/memory/manual-clock.js';
import { trainerContract } from './trainer.contract.js';

trainerContract('in memory', () => {
  const store = new MemoryObjectStore(new ManualClock());
  const trainer = new MemoryTrainer(store);
  const packageKey = (pipelineId: string) => `trainings/contract-owner/${pipelineId}/training.zip`;
  return Promise.resolve({
    trainer,
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
    close: () => Promise.resolve(),
  });
});
