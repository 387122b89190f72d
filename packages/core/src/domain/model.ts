import type { Destination } from './destination.js';
import type { ModelId, OwnerId, PipelineId, Sha256, UploadId } from './ids.js';

/**
 * An owner's trained model. Only `trainingSucceeded` makes one, from the owner's own succeeded
 * pipeline, so every model names the pipeline and the photos behind it (I6).
 */
export interface Model {
  readonly id: ModelId;
  readonly ownerId: OwnerId;
  readonly pipelineId: PipelineId;
  readonly destination: Destination;
  /** Exactly the `output.version` of the training that produced it, never "latest" (I5). */
  readonly version: string;
  readonly status: 'active' | 'quarantined';
  readonly quarantineReason: string | null;
  readonly trainingSet: readonly { readonly uploadId: UploadId; readonly sha256: Sha256 }[];
  readonly createdAt: Date;
  readonly revision: number;
}

export function quarantine(model: Model, reason: string): Model {
  return { ...model, status: 'quarantined', quarantineReason: reason };
}

export function release(model: Model): Model {
  return { ...model, status: 'active', quarantineReason: null };
}
