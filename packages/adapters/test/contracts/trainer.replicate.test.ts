import { startHarness } from '../replicate/support/harness.js';
import { trainerContract } from './trainer.contract.js';

trainerContract('Replicate adapter over the simulator', async () => {
  const h = await startHarness();
  const trainer = h.trainer({ webhookUrl: null });
  const packageKey = (pipelineId: string) => `trainings/contract-owner/${pipelineId}/training.zip`;
  return {
    trainer,
    stagePackage: (pipelineId, zip) => Promise.resolve(h.files.serve(packageKey(pipelineId), zip)),
    missingPackageUrl: (pipelineId) => Promise.resolve(h.files.serve(packageKey(pipelineId))),
    async finish(trainerTrainingId, outcome) {
      const control = h.sim.control;
      await (outcome === 'succeeded' ? control.complete(trainerTrainingId) : outcome === 'failed' ? control.fail(trainerTrainingId) : control.cancel(trainerTrainingId));
    },
    close: () => h.close(),
  };
});
