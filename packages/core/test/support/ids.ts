import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { ModelId, OwnerId, PipelineId, trusted, UploadId, type Sha256 } from '../../src/domain/ids.js';

// Ids go through the same parser as outside input, so a fixture can never be an id the system refuses.
export const ownerId = (raw: string): OwnerId => OwnerId.parse(raw)._unsafeUnwrap();
export const uploadId = (raw: string): UploadId => UploadId.parse(raw)._unsafeUnwrap();
export const pipelineId = (raw: string): PipelineId => PipelineId.parse(raw)._unsafeUnwrap();
export const modelId = (raw: string): ModelId => ModelId.parse(raw)._unsafeUnwrap();

/** A real SHA-256 of a label: distinct labels give distinct, well-formed hashes. */
export function shaOf(label: string): Sha256 {
  return trusted<Sha256>(bytesToHex(sha256(utf8ToBytes(label))));
}

export const alice = ownerId('alice');
export const bob = ownerId('bob');
