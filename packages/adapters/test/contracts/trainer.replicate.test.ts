import Replicate from 'replicate';
import { destinationRef } from '@selfie-lora/core';
import { API_TOKEN, startHarness } from '../replicate/support/harness.js';
import { smallPhoto, trainingZip } from '../replicate/support/photos.js';
import { startWebhookReceiver } from '@selfie-lora/testkit/servers';
import { trainerContract } from './trainer.contract.js';

trainerContract('Replicate adapter over the simulator', async () => {
  const h = await startHarness();
  const receiver = await startWebhookReceiver();
  const trainer = h.trainer({ webhookUrl: receiver.url });
  const packageKey = (pipelineId: string) => `trainings/contract-owner/${pipelineId}/training.zip`;
  // Out of band: someone else's client, on the same account, through the same HTTP API.
  const outsider = new Replicate({ auth: API_TOKEN, baseUrl: h.sim.baseUrl });
  let planted = 0;
  return {
    trainer,
    webhookUrl: receiver.url,
    stagePackage: (pipelineId, zip) => Promise.resolve(h.files.serve(packageKey(pipelineId), zip)),
    missingPackageUrl: (pipelineId) => Promise.resolve(h.files.serve(packageKey(pipelineId))),
    async finish(trainerTrainingId, outcome) {
      const control = h.sim.control;
      await (outcome === 'succeeded' ? control.complete(trainerTrainingId) : outcome === 'failed' ? control.fail(trainerTrainingId) : control.cancel(trainerTrainingId));
    },
    plantVersion: (destination) => Promise.resolve(h.sim.control.plantVersion(destinationRef(destination))),
    async plantTraining(destination, webhook) {
      planted += 1;
      const model = await outsider.models.get(destination.owner, destination.name).catch(() => null);
      if (!model) await outsider.models.create(destination.owner, destination.name, { visibility: 'private', hardware: 'cpu' });
      const input = h.files.serve(`elsewhere/${planted}/images.zip`, trainingZip([await smallPhoto(900 + planted)]));
      const training = await outsider.trainings.create('ostris', 'flux-dev-lora-trainer', 'v1', {
        destination: destinationRef(destination) as `${string}/${string}`,
        input: { input_images: input },
        webhook,
        webhook_events_filter: ['completed'],
      });
      return training.id;
    },
    breakNextListing() {
      h.sim.control.setKnobs({ malformedJson: 1 });
    },
    async close() {
      await h.close();
      await receiver.close();
    },
  };
});
