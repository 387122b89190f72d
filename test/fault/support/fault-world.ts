import { expect } from 'vitest';
import { auditIntegrity, OwnerId, UploadId, uploadKey } from '@selfie-lora/core';
import { photo } from '@selfie-lora/testkit/photos';
import { Client, trainerIdOf, type TrainingJson } from '../../e2e/support/client.js';
import { waitFor } from '../../e2e/support/poll.js';
import { MIN_PHOTOS, type E2eService } from '../../e2e/support/service.js';

/** A crash's outcome, as the fault matrix in docs/reliability.md reports it. */
export interface Recovery {
  readonly fault: string;
  readonly outcome: string;
  /** From the fault to the pipeline's next progress (ms). */
  readonly recoveryMs: number;
}

export const recoveries: Recovery[] = [];

/** The generous safety bound the spec sets for recovery: a wait past it fails the test. */
export const RECOVERY_BOUND_MS = 60_000;

let seed = 5000;

/** An owner with MIN_PHOTOS fresh photos and a training started; its client and training id. */
export async function startedTraining(service: E2eService, owner: string): Promise<{ client: Client; id: string; uploads: number }> {
  const client = new Client(service.url, owner);
  for (let i = 0; i < MIN_PHOTOS; i += 1) expect((await client.upload(await photo((seed += 7)))).status).toBe(201);
  const answer = await client.startTraining();
  expect(answer.status).toBe(202);
  return { client, id: answer.body.training.id, uploads: MIN_PHOTOS };
}

const ORDER = ['queued', 'verifying_uploads', 'packaging', 'verifying_package', 'submitting', 'training', 'succeeded'];

/** Waits until the training is at `status` or past it; answers the training as seen. */
export function reached(client: Client, id: string, status: string, timeoutMs = RECOVERY_BOUND_MS): Promise<TrainingJson> {
  return waitFor(
    `training ${id} at ${status}`,
    async () => {
      const training = await client.training(id);
      if (training.status === 'failed' || training.status === 'canceled') {
        throw new Error(`training ${id} ended ${training.status}: ${JSON.stringify(training.failure)}`);
      }
      return ORDER.indexOf(training.status) >= ORDER.indexOf(status) ? training : undefined;
    },
    timeoutMs,
  );
}

/** Waits (at most RECOVERY_BOUND_MS) until the training moves past `status`; the time since `since`. */
export async function recoveredPast(client: Client, id: string, status: string, since: number): Promise<number> {
  const next = ORDER[ORDER.indexOf(status) + 1]!;
  await reached(client, id, next);
  return Date.now() - since;
}

/**
 * What must hold after every fault: succeeded with a model; the trainer ran exactly one training
 * for it, which succeeded, and none of it still runs; no ZIP left in storage; no upload lost;
 * and the integrity audit finds nothing wrong anywhere (no half-written object, no stray run).
 */
export async function expectCleanEnd(service: E2eService, client: Client, id: string, uploads: number): Promise<void> {
  const done = await reached(client, id, 'succeeded');
  expect(done.model?.status).toBe('active');
  const trainerId = trainerIdOf(done);
  const records = service.simulator.control.trainings().filter((record) => record.inputUrl.includes(`/${id}/`));
  expect(records.map((record) => [record.id, record.training.status])).toEqual([[trainerId, 'succeeded']]);
  // The ZIP is deleted by the clean-up right after the pipeline ends.
  await waitFor(`no ZIP left for ${id}`, async () => {
    const listed = (await service.container.deps.objects.list('trainings/'))._unsafeUnwrap();
    return listed.some((object) => object.key.includes(`/${id}/`)) ? undefined : true;
  });
  const stored = (await client.uploads()).filter((upload) => upload.status === 'stored');
  expect(stored).toHaveLength(uploads);
  const ownerId = OwnerId.parse(client.owner)._unsafeUnwrap();
  for (const upload of stored) {
    const object = (await service.container.deps.objects.inspect(uploadKey(ownerId, UploadId.parse(upload.id)._unsafeUnwrap())))._unsafeUnwrap();
    expect(object.exists).toBe(true);
  }
  await expectAuditClean(service);
}

/** The audit as an operator runs it, judging even what was made a moment ago (no grace period). */
export async function expectAuditClean(service: E2eService): Promise<void> {
  const policy = { ...service.container.auditPolicy, graceMs: 0 };
  const report = (await auditIntegrity(service.container.deps, { policy, quarantine: false }))._unsafeUnwrap();
  expect(report.violations).toEqual([]);
}
