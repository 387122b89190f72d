import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  parseVersion,
  sameDestination,
  trusted,
  type Destination,
  type PipelineId,
  type Submission,
  type Trainer,
  type TrainerInventory,
  type TrainerReport,
  type TrainerTraining,
} from '@selfie-lora/core';
import { smallPhoto, trainingZip } from '../replicate/support/photos.js';
import { sha256Of } from '@selfie-lora/testkit/photos';

export interface TrainerSubject {
  readonly trainer: Trainer & TrainerInventory;
  /** The webhook URL the trainer was configured with: what it reports for its own trainings. */
  readonly webhookUrl: string;
  /** Makes `zip` reachable as this pipeline's package; returns the time-limited URL the trainer gets. */
  stagePackage(pipelineId: PipelineId, zip: Uint8Array): Promise<string>;
  /** A URL for this pipeline's package that leads to nothing. */
  missingPackageUrl(pipelineId: PipelineId): Promise<string>;
  /** Ends a training at the trainer, as time (or its operator) would. */
  finish(trainerTrainingId: string, outcome: 'succeeded' | 'failed' | 'canceled'): Promise<void>;
  /** Out of band: a version at `destination` that no training produced; returns `owner/name:id`. */
  plantVersion(destination: Destination): Promise<string>;
  /** Out of band: a training no pipeline submitted, still running; returns its id. */
  plantTraining(destination: Destination, webhook: string): Promise<string>;
  /** The next listing of this kind cannot be read completely (a fault, or an answer that fails its schema). */
  breakNextListing(kind: 'versions' | 'trainings'): void;
  close(): Promise<void>;
}

/** The hash part of a version trained on exactly these photos: a function of their SHA-256s only. */
const imagesHash = (photos: readonly Uint8Array[]) => sha256Of(photos.map((p) => sha256Of(p)).sort().join('\n'));

const destination: Destination = { owner: 'selfie-lora', name: 'selfie-lora-0123456789abcdef0123456789abcdef' };
const otherDestination: Destination = { owner: 'selfie-lora', name: 'selfie-lora-fedcba9876543210fedcba9876543210' };

/**
 * What every Trainer must do. Runs against the in-memory fake and the Replicate adapter over the
 * simulator, so the fake the core's tests rely on behaves like the real adapter.
 */
export function trainerContract(name: string, start: () => Promise<TrainerSubject>): void {
  describe(`Trainer contract: ${name}`, () => {
    let subject: TrainerSubject;
    let trainer: Trainer & TrainerInventory;
    let counter = 0;

    beforeEach(async () => {
      subject = await start();
      trainer = subject.trainer;
    });
    afterEach(async () => {
      await subject.close();
    });

    async function submission(seeds: readonly number[]): Promise<Submission & { photos: Uint8Array[] }> {
      counter += 1;
      const pipelineId = trusted<PipelineId>(`pipeline-${counter}-${seeds.join('-')}`);
      const photos = await Promise.all(seeds.map((seed) => smallPhoto(seed)));
      const inputUrl = await subject.stagePackage(pipelineId, trainingZip(photos));
      return { pipelineId, destination, inputUrl, triggerWord: 'TOK', photos };
    }

    const expectNamesOurDestination = (report: TrainerReport) => {
      if (report.destination !== null) expect(sameDestination(report.destination, destination)).toBe(true);
    };

    it('accepts a submission: a training id, not finished, no version yet', async () => {
      const report = (await trainer.submit(await submission([1, 2, 3])))._unsafeUnwrap();
      expect(report.trainerTrainingId.length).toBeGreaterThan(0);
      expect(['starting', 'processing']).toContain(report.status);
      expect(report.outputVersion).toBeNull();
      expect(report.error).toBeNull();
      expectNamesOurDestination(report);
      const again = (await trainer.get(report.trainerTrainingId))._unsafeUnwrap();
      expect(again.trainerTrainingId).toBe(report.trainerTrainingId);
      expect(['starting', 'processing']).toContain(again.status);
    });

    it('a succeeded training wrote, at our destination, a version made of exactly the submitted photos', async () => {
      const sent = await submission([4, 5, 6]);
      const { trainerTrainingId } = (await trainer.submit(sent))._unsafeUnwrap();
      await subject.finish(trainerTrainingId, 'succeeded');
      const report = (await trainer.get(trainerTrainingId))._unsafeUnwrap();
      expect(report.status).toBe('succeeded');
      expectNamesOurDestination(report);
      const version = parseVersion(report.outputVersion ?? '');
      expect(version).not.toBeNull();
      expect(version!.destination).toEqual(destination);
      expect(version!.hash).toBe(imagesHash(sent.photos));
    });

    it('the version depends on the photos only: same photos, same version; other photos, another', async () => {
      const versionOf = async (seeds: number[]) => {
        const { trainerTrainingId } = (await trainer.submit(await submission(seeds)))._unsafeUnwrap();
        await subject.finish(trainerTrainingId, 'succeeded');
        return (await trainer.get(trainerTrainingId))._unsafeUnwrap().outputVersion;
      };
      const first = await versionOf([7, 8, 9]);
      expect(await versionOf([9, 7, 8])).toBe(first);
      expect(await versionOf([7, 8, 10])).not.toBe(first);
    });

    it('a failed training says why and has no version', async () => {
      const { trainerTrainingId } = (await trainer.submit(await submission([11, 12])))._unsafeUnwrap();
      await subject.finish(trainerTrainingId, 'failed');
      const report = (await trainer.get(trainerTrainingId))._unsafeUnwrap();
      expect(report).toMatchObject({ trainerTrainingId, status: 'failed', outputVersion: null });
      expect(report.error).toEqual(expect.any(String));
    });

    it('cancel stops a running training; canceling a finished one changes nothing', async () => {
      const running = (await trainer.submit(await submission([13])))._unsafeUnwrap().trainerTrainingId;
      (await trainer.cancel(running))._unsafeUnwrap();
      expect((await trainer.get(running))._unsafeUnwrap()).toMatchObject({ status: 'canceled', outputVersion: null });

      const done = (await trainer.submit(await submission([14])))._unsafeUnwrap().trainerTrainingId;
      await subject.finish(done, 'succeeded');
      (await trainer.cancel(done))._unsafeUnwrap();
      expect((await trainer.get(done))._unsafeUnwrap().status).toBe('succeeded');
    });

    it('findSubmission finds the training a pipeline submitted, and only that pipeline', async () => {
      const mine = await submission([15, 16]);
      const theirs = await submission([17, 18]);
      expect((await trainer.findSubmission(mine.pipelineId))._unsafeUnwrap()).toBeNull();
      const mineReport = (await trainer.submit(mine))._unsafeUnwrap();
      expect((await trainer.findSubmission(theirs.pipelineId))._unsafeUnwrap()).toBeNull();
      const theirsReport = (await trainer.submit(theirs))._unsafeUnwrap();
      expect((await trainer.findSubmission(mine.pipelineId))._unsafeUnwrap()?.trainerTrainingId).toBe(mineReport.trainerTrainingId);
      expect((await trainer.findSubmission(theirs.pipelineId))._unsafeUnwrap()?.trainerTrainingId).toBe(theirsReport.trainerTrainingId);
    });

    it('a training it does not know is an error that ends the step, never a report', async () => {
      const error = (await trainer.get('unknowntraining0000000000'))._unsafeUnwrapErr();
      // Replicate answers 404 (trainer.rejected); the fake says trainer.invalid_response, which
      // core tests pin. Both end the pipeline; aligning them is left to the core's owner.
      expect(['trainer.rejected', 'trainer.invalid_response']).toContain(error.code);
      expect(error.transient).not.toBe(true);
    });

    it('an input it cannot read never becomes a succeeded training', async () => {
      counter += 1;
      const pipelineId = trusted<PipelineId>(`pipeline-${counter}-missing`);
      const submitted = await trainer.submit({ pipelineId, destination, inputUrl: await subject.missingPackageUrl(pipelineId), triggerWord: 'TOK' });
      // Refused at once (in memory), or accepted and then failed (as Replicate does): never a model.
      if (submitted.isErr()) {
        expect(submitted.error.code).toBe('trainer.rejected');
        return;
      }
      await subject.finish(submitted.value.trainerTrainingId, 'succeeded');
      const report = (await trainer.get(submitted.value.trainerTrainingId))._unsafeUnwrap();
      expect(report).toMatchObject({ status: 'failed', outputVersion: null });
    });

    describe('inventory (for the audit)', () => {
      const versionsAt = async (where: Destination) => (await trainer.listVersions(where))._unsafeUnwrap().map((v) => v.version);
      const listed = async (id: string): Promise<TrainerTraining | undefined> =>
        (await trainer.listTrainings())._unsafeUnwrap().find((t) => t.trainerTrainingId === id);

      it('listVersions: a destination holds exactly the versions its succeeded trainings wrote', async () => {
        const running = (await trainer.submit(await submission([31, 32])))._unsafeUnwrap().trainerTrainingId;
        expect(await versionsAt(destination)).toEqual([]);
        await subject.finish(running, 'succeeded');
        const version = (await trainer.get(running))._unsafeUnwrap().outputVersion;
        expect(version).not.toBeNull();
        expect(await versionsAt(destination)).toEqual([version]);

        const failed = (await trainer.submit(await submission([33])))._unsafeUnwrap().trainerTrainingId;
        await subject.finish(failed, 'failed');
        const afterFailure = (await trainer.listVersions(destination))._unsafeUnwrap();
        expect(afterFailure.map((v) => v.version)).toEqual([version]);
        expect(afterFailure[0]!.createdAt).toBeInstanceOf(Date);
        expect(await versionsAt(otherDestination)).toEqual([]);
      });

      it('listVersions: a destination that does not exist holds none', async () => {
        expect(await versionsAt({ owner: 'selfie-lora', name: 'selfie-lora-nobody' })).toEqual([]);
      });

      it('listVersions: a version no training of ours produced is listed too', async () => {
        const { trainerTrainingId } = (await trainer.submit(await submission([34])))._unsafeUnwrap();
        await subject.finish(trainerTrainingId, 'succeeded');
        const trained = (await trainer.get(trainerTrainingId))._unsafeUnwrap().outputVersion;
        const planted = await subject.plantVersion(destination);
        expect(parseVersion(planted)?.destination).toEqual(destination);
        expect([...(await versionsAt(destination))].sort()).toEqual([trained, planted].sort());
        const elsewhere = await subject.plantVersion(otherDestination);
        expect(await versionsAt(otherDestination)).toEqual([elsewhere]);
      });

      it('listTrainings: every training it accepted, with its destination, webhook, status and output version', async () => {
        const done = (await trainer.submit(await submission([35, 36])))._unsafeUnwrap().trainerTrainingId;
        const running = (await trainer.submit(await submission([37])))._unsafeUnwrap().trainerTrainingId;
        await subject.finish(done, 'succeeded');
        const version = (await trainer.get(done))._unsafeUnwrap().outputVersion;

        expect(await listed(done)).toMatchObject({ destination, webhook: subject.webhookUrl, status: 'succeeded', outputVersion: version });
        const stillRunning = await listed(running);
        expect(stillRunning).toMatchObject({ destination, webhook: subject.webhookUrl, outputVersion: null });
        expect(['starting', 'processing']).toContain(stillRunning?.status);
        expect(stillRunning?.createdAt).toBeInstanceOf(Date);
        expect(await listed('unknowntraining0000000000')).toBeUndefined();
      });

      it('listTrainings: names the pipeline each training was submitted for, as findSubmission recognises it, whatever its status', async () => {
        const sent = await submission([40]);
        const other = await submission([41]);
        const canceled = (await trainer.submit(sent))._unsafeUnwrap().trainerTrainingId;
        const running = (await trainer.submit(other))._unsafeUnwrap().trainerTrainingId;
        (await trainer.cancel(canceled))._unsafeUnwrap();
        expect(await listed(canceled)).toMatchObject({ status: 'canceled', pipelineId: sent.pipelineId });
        expect((await trainer.findSubmission(sent.pipelineId))._unsafeUnwrap()?.trainerTrainingId).toBe(canceled);
        expect((await listed(running))?.pipelineId).toBe(other.pipelineId);
      });

      it('listTrainings: a training no pipeline submitted is listed with the destination and webhook it names', async () => {
        const mine = (await trainer.submit(await submission([38])))._unsafeUnwrap().trainerTrainingId;
        const foreign = await subject.plantTraining(otherDestination, 'https://collector.example/hook');
        const all = (await trainer.listTrainings())._unsafeUnwrap();
        expect(all.map((t) => t.trainerTrainingId).sort()).toEqual([mine, foreign].sort());
        expect(all.find((t) => t.trainerTrainingId === foreign)).toMatchObject({
          destination: otherDestination,
          webhook: 'https://collector.example/hook',
          outputVersion: null,
          // Its input is no package of a pipeline: it names none.
          pipelineId: null,
        });
      });

      it('listRecentTrainings: the newest trainings first, each with its status and output version', async () => {
        const done = (await trainer.submit(await submission([42])))._unsafeUnwrap().trainerTrainingId;
        const running = (await trainer.submit(await submission([43])))._unsafeUnwrap().trainerTrainingId;
        await subject.finish(done, 'succeeded');
        const recent = (await trainer.listRecentTrainings(new Date(0)))._unsafeUnwrap();
        expect(recent.map((t) => t.trainerTrainingId)).toEqual([running, done]);
        expect(recent[1]).toMatchObject({ status: 'succeeded', outputVersion: (await trainer.get(done))._unsafeUnwrap().outputVersion });
        expect(['starting', 'processing']).toContain(recent[0]?.status);
      });

      it.each(['versions', 'trainings'] as const)('a %s listing that cannot be read is an error, never a shorter list', async (kind) => {
        const { trainerTrainingId } = (await trainer.submit(await submission([39])))._unsafeUnwrap();
        await subject.finish(trainerTrainingId, 'succeeded');
        subject.breakNextListing(kind);
        const broken = kind === 'versions' ? await trainer.listVersions(destination) : await trainer.listTrainings();
        expect(broken.isErr()).toBe(true);
        // Only that one answer was broken: the next listing is whole again.
        const whole = kind === 'versions' ? await trainer.listVersions(destination) : await trainer.listTrainings();
        expect(whole._unsafeUnwrap()).toHaveLength(1);
      });
    });
  });
}
