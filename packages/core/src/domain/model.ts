import { err, ok, type Result } from 'neverthrow';
import type { Destination } from './destination.js';
import { domainError, type DomainError } from './errors.js';
import type { ModelId, OwnerId, PipelineId, Sha256, UploadId } from './ids.js';

declare const modelBrand: unique symbol;

/**
 * An owner's trained model. Only `trainingSucceeded` makes one, from the owner's own succeeded
 * pipeline, so every model names the pipeline and the photos behind it (I6); the brand keeps
 * any other code from declaring one (a repository rebuilds a stored one with `restoreModel`).
 */
export type Model = ModelFields & { readonly [modelBrand]: true };

export interface ModelFields {
  readonly id: ModelId;
  readonly ownerId: OwnerId;
  readonly pipelineId: PipelineId;
  readonly destination: Destination;
  /** Exactly the `output.version` of the training that produced it, never "latest" (I5). */
  readonly version: string;
  /** `erased`: its owner was erased; kept as provenance for the audit, never served. */
  readonly status: 'active' | 'quarantined' | 'erased';
  readonly quarantineReason: string | null;
  readonly trainingSet: readonly { readonly uploadId: UploadId; readonly sha256: Sha256 }[];
  readonly createdAt: Date;
  readonly revision: number;
}

export function quarantine(model: Model, reason: string): Model {
  return { ...model, status: 'quarantined', quarantineReason: reason };
}

export function markErased(model: Model): Model {
  return { ...model, status: 'erased', quarantineReason: null };
}

export function release(model: Model): Model {
  return { ...model, status: 'active', quarantineReason: null };
}

export const MAX_QUARANTINE_REASON = 500;

/** An operator's reason, shown back to operators: bounded plain text. */
export function quarantineReason(text: unknown): Result<string, DomainError<'model.invalid_quarantine_reason'>> {
  const reason = typeof text === 'string' ? text.trim() : '';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  const valid = reason.length > 0 && reason.length <= MAX_QUARANTINE_REASON && !/[\u0000-\u001f\u007f]/.test(reason);
  return valid ? ok(reason) : err(domainError('model.invalid_quarantine_reason', `reason of ${reason.length} characters`));
}
