import { describe, expect, it } from 'vitest';
import { ownerRef, packageKey, trusted, type OwnerId, type PipelineId } from '@selfie-lora/core';
import { submittedFor } from '../../src/replicate/replicate-schemas.js';

// The one reading of "which pipeline was this training submitted for": `findSubmission` adopts a
// training by it and the audit's listing reports it, so both agree on every input.

const pipelineId = trusted<PipelineId>('7f3c9a2e-1b4d-4c8e-9f00-aa11bb22cc33');
const key = packageKey(trusted<OwnerId>('alice'), pipelineId);
const of = (inputImages: unknown) => submittedFor({ input: { input_images: inputImages } });

describe('submittedFor', () => {
  it('reads the pipeline id of the package key a signed URL points at, whoever stores it', () => {
    // S3, path style and virtual-hosted style, with the presigning query; the in-memory store's URL (the key encoded).
    expect(of(`http://127.0.0.1:4569/selfie-lora/${key}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc`)).toBe(pipelineId);
    expect(of(`https://selfie-lora.s3.eu-west-1.amazonaws.com/${key}?X-Amz-Expires=3600`)).toBe(pipelineId);
    expect(of(`memory://objects/${encodeURIComponent(key)}?expires=1&signature=x`)).toBe(pipelineId);
  });

  it('names no pipeline for an input that is no package key', () => {
    const ref = ownerRef(trusted<OwnerId>('alice'));
    for (const input of [
      undefined,
      42,
      'not a url',
      `http://files.example/elsewhere/${pipelineId}/images.zip`,
      `http://files.example/trainings/${ref}/${pipelineId}/training.zip/more`,
      `http://files.example/trainings/${ref}/training.zip`,
      // The key in the query, not the path, is not where a signed URL puts it.
      `http://files.example/download?key=${encodeURIComponent(key)}`,
      // An id the system could never have made.
      `http://files.example/trainings/${ref}/${encodeURIComponent('bad id!')}/training.zip`,
    ]) {
      expect(of(input)).toBeNull();
    }
    expect(submittedFor({})).toBeNull();
    expect(submittedFor({ input: null })).toBeNull();
  });
});
