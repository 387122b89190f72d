import { auditIntegrity, listModels, type AuditPolicy, type AuditReport, type AuditViolation, type CoreConfig, type CoreDeps, type Model, type PipelineId } from '@selfie-lora/core';
import { createMemoryCore, type MemoryCore } from '@selfie-lora/adapters/memory';
import { advanceTo, alice, bob, startedPipeline, trainingFor, uploadPhotos } from './memory-core-fixtures.js';

// The world the audit use-case tests start from: the in-memory core, reporting trainings to our webhook.

export const WEBHOOK = 'https://service.example/v1/webhooks/replicate';
export const policy: AuditPolicy = { stuckAfterMs: 24 * 3_600_000, graceMs: 60_000, webhookUrl: WEBHOOK };

export function auditCore(config: Partial<CoreConfig> = {}): MemoryCore {
  return createMemoryCore({ config: { minPhotos: 3, ...config }, webhookUrl: WEBHOOK });
}

/** Alice trains to a model (package cleaned up); Bob only uploads. The clock moves past the grace period. */
export async function trainedWorld(config: Partial<CoreConfig> = {}): Promise<{ c: MemoryCore; model: Model; pipelineId: PipelineId }> {
  const c = auditCore(config);
  const { pipeline } = await startedPipeline(c, alice, [1, 2, 3]);
  await advanceTo(c, pipeline.id, 'training');
  c.trainer.finish(trainingFor(c, pipeline.id).id, 'succeeded');
  await advanceTo(c, pipeline.id, 'succeeded');
  await uploadPhotos(c, bob, [4, 5]);
  c.clock.advance(2 * 60_000);
  const model = (await listModels(c.deps, alice))._unsafeUnwrap()[0]!;
  return { c, model, pipelineId: pipeline.id };
}

/** The audit's report over `deps` (the core's own unless given), failing the test on an Err. */
export async function auditReport(
  c: MemoryCore,
  options: { readonly quarantine?: boolean; readonly deps?: CoreDeps; readonly ownersPerBatch?: number; readonly policy?: AuditPolicy } = {},
): Promise<AuditReport> {
  const input = { policy: options.policy ?? policy, quarantine: options.quarantine ?? false, ...(options.ownersPerBatch === undefined ? {} : { ownersPerBatch: options.ownersPerBatch }) };
  return (await auditIntegrity(options.deps ?? c.deps, input))._unsafeUnwrap();
}

export const kinds = (violations: readonly AuditViolation[]) => violations.map((v) => v.kind).sort();
