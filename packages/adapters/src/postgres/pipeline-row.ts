import type { Result } from 'neverthrow';
import { z } from 'zod';
import {
  type NonEmpty,
  type PersistenceError,
  type StepRecord,
  type TrainingPipeline,
  type TrainingSetItem,
  type VerifiedUploads,
} from '@selfie-lora/core';
import { restoreTrainingSet, restoreVerifiedPackage, restoreVerifiedUploads } from '@selfie-lora/core/persistence';
import {
  countColumn,
  errorCode,
  imageTypeColumn,
  isoDate,
  modelIdColumn,
  ownerIdColumn,
  parseRow,
  pipelineIdColumn,
  sha256Column,
  uploadIdColumn,
} from './row-schemas.js';

// A pipeline is one `pipelines` row (columns for what the schema constrains or looks up, `state`
// jsonb for the rest of the aggregate) plus its training set in `pipeline_items`.

const stepName = z.enum(['verify_uploads', 'package', 'verify_package', 'submit', 'train']);
const uploadEvidence = z.object({ uploadId: uploadIdColumn, byteSize: countColumn, sha256: sha256Column, contentType: imageTypeColumn });
const packageEntry = z.object({ name: z.string(), sha256: sha256Column, byteSize: countColumn });
const packageFacts = z.object({ key: z.string(), sha256: sha256Column, byteSize: countColumn, entries: z.array(packageEntry) });
const verifiedUploads = z.array(uploadEvidence).transform(restoreVerifiedUploads);
const verifiedPackage = packageFacts.transform(restoreVerifiedPackage);

const evidence = z.discriminatedUnion('step', [
  z.object({ step: z.literal('verify_uploads'), uploads: z.array(uploadEvidence) }),
  z.object({ step: z.literal('package'), key: z.string(), sha256: z.string(), byteSize: countColumn, entries: countColumn }),
  z.object({ step: z.literal('verify_package'), sha256: z.string(), entries: z.array(packageEntry) }),
  z.object({ step: z.literal('submit'), trainerTrainingId: z.string(), destination: z.string() }),
  z.object({ step: z.literal('train'), version: z.string() }),
]);

const step = z.object({
  name: stepName,
  status: z.enum(['running', 'succeeded', 'failed', 'canceled']),
  startedAt: isoDate,
  finishedAt: isoDate.nullable(),
  evidence: evidence.nullable(),
});

const common = z.object({
  steps: z.array(step),
  retry: z.object({ attempt: z.number().int().nonnegative(), notBefore: isoDate.nullable() }),
});

/** What each status carries beyond the common fields; `trainerTrainingId` comes from its column. */
const byStatus = z.discriminatedUnion('status', [
  z.object({ status: z.literal('queued') }),
  z.object({ status: z.literal('verifying_uploads') }),
  z.object({ status: z.literal('packaging'), uploads: verifiedUploads }),
  z.object({ status: z.literal('verifying_package'), uploads: verifiedUploads, package: packageFacts }),
  z.object({ status: z.literal('submitting'), uploads: verifiedUploads, package: verifiedPackage }),
  z.object({ status: z.literal('training'), uploads: verifiedUploads, package: verifiedPackage, trainerTrainingId: z.string() }),
  z.object({
    status: z.literal('succeeded'),
    uploads: verifiedUploads,
    package: verifiedPackage,
    trainerTrainingId: z.string(),
    modelVersion: z.string(),
    modelId: modelIdColumn,
    packageDeletedAt: isoDate.nullable(),
  }),
  z.object({
    status: z.enum(['failed', 'canceled']),
    failure: z.object({ step: stepName, code: errorCode, message: z.string() }),
    package: packageFacts.nullable(),
    trainerTrainingId: z.string().nullable(),
    packageDeletedAt: isoDate.nullable(),
    // An ended pipeline keeps whatever upload evidence it had reached.
    uploads: verifiedUploads.optional(),
  }),
]);

const item = z.object({ uploadId: uploadIdColumn, sha256: sha256Column, byteSize: countColumn, contentType: imageTypeColumn });

/** A `pipelines` row with its items aggregated in position order (see PIPELINE_SELECT). */
const pipelineRow = z.object({
  id: pipelineIdColumn,
  owner_id: ownerIdColumn,
  status: z.string(),
  revision: z.number().int(),
  destination_owner: z.string(),
  destination_name: z.string(),
  trigger_word: z.string(),
  idempotency_key: z.string().nullable(),
  restart_of: pipelineIdColumn.nullable(),
  trainer_training_id: z.string().nullable(),
  state: z.record(z.string(), z.unknown()),
  created_at: z.date(),
  updated_at: z.date(),
  items: z.array(item).min(1),
});

/** Rehydrates the exact aggregate the row was written from (dates as Date, branded values). */
export function toPipeline(raw: unknown): Result<TrainingPipeline, PersistenceError> {
  return parseRow(pipelineRow, raw, 'pipeline').andThen((row) =>
    parseRow(common, row.state, `state of pipeline ${row.id}`).andThen(({ steps, retry }) =>
      parseRow(byStatus, { ...row.state, status: row.status, trainerTrainingId: row.trainer_training_id }, `state of pipeline ${row.id}`).map(
        (stage): TrainingPipeline => ({
          id: row.id,
          ownerId: row.owner_id,
          revision: row.revision,
          trainingSet: restoreTrainingSet(row.owner_id, row.items as unknown as NonEmpty<TrainingSetItem>),
          destination: { owner: row.destination_owner, name: row.destination_name },
          triggerWord: row.trigger_word,
          idempotencyKey: row.idempotency_key,
          restartOf: row.restart_of,
          steps,
          retry,
          createdAt: row.created_at,
          updatedAt: row.updated_at,
          ...stage,
        }),
      ),
    ),
  );
}

/** Selects pipelines with their items; callers append WHERE / ORDER BY on alias `p`. */
export const PIPELINE_SELECT = `
  SELECT p.id, p.owner_id, p.status, p.revision, p.destination_owner, p.destination_name, p.trigger_word,
         p.idempotency_key, p.restart_of, p.trainer_training_id, p.state, p.created_at, p.updated_at,
         (SELECT json_agg(json_build_object('uploadId', i.upload_id, 'sha256', i.sha256, 'byteSize', i.byte_size,
                                            'contentType', i.content_type) ORDER BY i.position)
            FROM pipeline_items i WHERE i.pipeline_id = p.id) AS items
    FROM pipelines p`;

const iso = (date: Date): string => date.toISOString();
const isoOrNull = (date: Date | null): string | null => (date === null ? null : iso(date));

function stepState(record: StepRecord) {
  return { ...record, startedAt: iso(record.startedAt), finishedAt: isoOrNull(record.finishedAt) };
}

/** The jsonb `state` column: everything of the aggregate that has no column of its own. */
export function stateOf(pipeline: TrainingPipeline): Record<string, unknown> {
  // `uploads` also rides along on ended pipelines at run time (they spread the active one).
  const uploads = (pipeline as { uploads?: VerifiedUploads }).uploads;
  return {
    steps: pipeline.steps.map(stepState),
    retry: { attempt: pipeline.retry.attempt, notBefore: isoOrNull(pipeline.retry.notBefore) },
    ...(uploads ? { uploads: uploads.evidence } : {}),
    ...('package' in pipeline ? { package: pipeline.package } : {}),
    ...('failure' in pipeline ? { failure: pipeline.failure } : {}),
    ...(pipeline.status === 'succeeded' ? { modelVersion: pipeline.modelVersion, modelId: pipeline.modelId } : {}),
    ...('packageDeletedAt' in pipeline ? { packageDeletedAt: isoOrNull(pipeline.packageDeletedAt) } : {}),
  };
}

export function trainerTrainingIdOf(pipeline: TrainingPipeline): string | null {
  return 'trainerTrainingId' in pipeline ? pipeline.trainerTrainingId : null;
}
