import type { ModelId, OwnerId, PipelineId, UploadId } from './ids.js';
import type { PipelineStatus } from './training-pipeline.js';

/**
 * What the audit can find wrong, each with the owner it concerns (null when nobody we know of)
 * and the evidence an operator needs to act. Kinds are stable: scripts match on them.
 */
export type AuditViolation =
  /**
   * The incident: a version at a destination of ours that no succeeded pipeline produced. Not
   * judged within the grace, nor while it is the result of a training whose pipeline is still
   * active at that destination (the worker has yet to apply it).
   */
  | {
      readonly kind: 'version.unrecorded';
      readonly ownerId: OwnerId | null;
      readonly destination: string;
      readonly version: string;
      readonly createdAt: Date | null;
      /** The trainer's training that wrote it, when the trainer still lists it. */
      readonly trainerTrainingId: string | null;
      /** Our pipeline that submitted that training, if any (it did not succeed here). */
      readonly pipelineId: PipelineId | null;
    }
  | {
      readonly kind: 'model.pipeline_not_succeeded';
      readonly ownerId: OwnerId;
      readonly modelId: ModelId;
      readonly pipelineId: PipelineId;
      /** `missing` when no pipeline has that id; `other_owner` when it is someone else's. */
      readonly pipelineStatus: PipelineStatus | 'missing' | 'other_owner';
    }
  | { readonly kind: 'model.empty_training_set'; readonly ownerId: OwnerId; readonly modelId: ModelId }
  | {
      readonly kind: 'model.foreign_upload';
      readonly ownerId: OwnerId;
      readonly modelId: ModelId;
      /** Each photo of the model that is not an upload of its owner, and whose it is (null: nobody's). */
      readonly uploads: readonly { readonly uploadId: UploadId; readonly uploadOwnerId: OwnerId | null }[];
    }
  /** The model's recorded version or training set differs from what its pipeline recorded. */
  | {
      readonly kind: 'model.provenance_mismatch';
      readonly ownerId: OwnerId;
      readonly modelId: ModelId;
      readonly pipelineId: PipelineId;
      readonly detail: string;
    }
  /** The package manifest a pipeline recorded as verified does not hold exactly its training set. */
  | {
      readonly kind: 'pipeline.manifest_mismatch';
      readonly ownerId: OwnerId;
      readonly pipelineId: PipelineId;
      readonly modelId: ModelId | null;
      readonly detail: string;
    }
  /**
   * An unfinished pipeline not updated for longer than the threshold; or an ended one whose
   * clean-up has been owed that long (the worker keeps failing at it), with what it owes.
   */
  | {
      readonly kind: 'pipeline.stuck';
      readonly ownerId: OwnerId;
      readonly pipelineId: PipelineId;
      readonly status: PipelineStatus;
      readonly updatedAt: Date;
      readonly stuckForMs: number;
      /**
       * Only for an ended pipeline: the clean-up it still owes. `trainer_stop`: its training may
       * still run at the trainer and must be canceled; `package_delete`: its package key is not
       * recorded as deleted (the worker deletes it first, and records both once both are done).
       */
      readonly owes?: readonly ('trainer_stop' | 'package_delete')[];
    }
  | {
      readonly kind: 'object.orphan';
      /** Known only when the key's owner reference matches an owner in the database. */
      readonly ownerId: OwnerId | null;
      readonly key: string;
      readonly byteSize: number;
      readonly lastModified: Date;
      readonly reason: 'no_upload_row' | 'upload_deleted' | 'no_pipeline' | 'package_released' | 'abandoned_staging' | 'unknown_key';
    }
  | {
      readonly kind: 'row.object_missing';
      readonly ownerId: OwnerId;
      readonly key: string;
      readonly row: { readonly type: 'upload'; readonly uploadId: UploadId } | { readonly type: 'package'; readonly pipelineId: PipelineId };
    }
  | {
      readonly kind: 'row.object_size_differs';
      readonly ownerId: OwnerId;
      readonly key: string;
      readonly uploadId: UploadId;
      readonly recordedBytes: number;
      readonly storedBytes: number;
    }
  /** Rows the database holds but that no longer parse as what they claim to be (edited out of band). */
  | {
      readonly kind: 'row.unreadable';
      readonly ownerId: OwnerId;
      readonly table: 'uploads' | 'pipelines' | 'models';
      readonly detail: string;
    }
  /** A training at the trainer that reports to our webhook, yet no recorded pipeline submitted it or is named by it. */
  | {
      readonly kind: 'training.unknown';
      readonly ownerId: OwnerId | null;
      readonly trainerTrainingId: string;
      readonly destination: string | null;
      readonly status: string;
      readonly outputVersion: string | null;
      readonly createdAt: Date | null;
    };

export type AuditViolationKind = AuditViolation['kind'];

/** Every kind, with one line for people reading the report (and a compile error if one is missing). */
export const AUDIT_VIOLATION_KINDS: Readonly<Record<AuditViolationKind, string>> = {
  'version.unrecorded': 'a version at one of our destinations that no succeeded pipeline produced',
  'model.pipeline_not_succeeded': 'a model whose pipeline is missing, not succeeded or another owner\'s',
  'model.empty_training_set': 'a model with no photos behind it',
  'model.foreign_upload': 'a model with photos that are not its owner\'s uploads',
  'model.provenance_mismatch': 'a model whose version or photos differ from what its pipeline recorded',
  'pipeline.manifest_mismatch': 'a verified package manifest that does not hold exactly the training set',
  'pipeline.stuck': 'a pipeline unfinished, or owing clean-up after it ended, for longer than the threshold',
  'object.orphan': 'an object in storage that no row accounts for',
  'row.object_missing': 'a row whose object is not in storage',
  'row.object_size_differs': 'a stored upload whose object has another size than recorded',
  'row.unreadable': 'rows of an owner that cannot be read back (their models are treated as unproven)',
  'training.unknown': 'a training reporting to our webhook that no pipeline submitted',
};

/** The model a violation makes unsafe to serve, if any: the audit quarantines exactly these. */
export function implicatedModel(violation: AuditViolation): ModelId | null {
  switch (violation.kind) {
    case 'model.pipeline_not_succeeded':
    case 'model.empty_training_set':
    case 'model.foreign_upload':
    case 'model.provenance_mismatch':
    case 'pipeline.manifest_mismatch':
      return violation.modelId;
    default:
      return null;
  }
}
