import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { domainError, type ByteStream } from '@selfie-lora/core';
import { domainProblem, shellProblem, type Problem } from './problem.js';

export const UPLOAD_FIELD = 'file';

/** Why the form itself was refused, noted by the body stream before it fails. */
class FormRefused extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

function formProblem(cause: unknown): Problem {
  if (cause instanceof FormRefused) return cause.problem;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? cause.code : undefined;
  return code === 'FST_REQ_FILE_TOO_LARGE'
    ? domainProblem(domainError('upload.too_large'))
    : shellProblem('request.invalid', `The upload must be a multipart form with exactly one file field named "${UPLOAD_FIELD}".`);
}

export type SingleFile =
  | {
      readonly kind: 'file';
      /** The file's bytes as they arrive; fails (so nothing is recorded) if the form breaks a rule. */
      readonly body: ByteStream;
      /** After the body failed: the form's fault, if it was the form's. */
      readonly refusal: () => Problem | null;
    }
  | { readonly kind: 'refused'; readonly problem: Problem };

/**
 * Opens the request's multipart form, expecting exactly one file, in the field `file`. Nothing is
 * buffered: the file streams on, with busboy truncating it past `maxBytes + 1` bytes so an
 * oversized file is noticed while reading. The stream ends only after the rest of the form was
 * read and held no second file, so a refused form never reaches the point of being recorded.
 */
export async function singleFile(request: FastifyRequest, maxBytes: number): Promise<SingleFile> {
  if (!request.isMultipart()) {
    return { kind: 'refused', problem: shellProblem('request.unsupported_media_type', 'Send the photo as multipart/form-data.') };
  }
  const parts = request.parts({
    limits: { fileSize: maxBytes + 1, files: 2, fields: 8, parts: 16, fieldSize: 4096, headerPairs: 64 },
  });
  let first: MultipartFile | undefined;
  try {
    for (;;) {
      const next = await parts.next();
      if (next.done === true) break;
      if (next.value.type === 'file') {
        first = next.value;
        break;
      }
    }
  } catch (cause) {
    return { kind: 'refused', problem: formProblem(cause) };
  }
  if (first?.fieldname !== UPLOAD_FIELD) {
    first?.file.resume();
    return { kind: 'refused', problem: formProblem(null) };
  }
  const file = first;
  let refusal: Problem | null = null;
  const refuse = (cause: unknown): never => {
    refusal = formProblem(cause);
    throw cause instanceof Error ? cause : new FormRefused(refusal);
  };
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of file.file) yield chunk as Uint8Array;
    } catch (cause) {
      refuse(cause);
    }
    if (file.file.truncated) refuse(new FormRefused(domainProblem(domainError('upload.too_large'))));
    let broken: unknown = null;
    try {
      for (let next = await parts.next(); next.done !== true; next = await parts.next()) {
        if (next.value.type === 'file') {
          next.value.file.resume();
          broken = new FormRefused(formProblem(null));
          break;
        }
      }
    } catch (cause) {
      broken = cause;
    }
    if (broken !== null) refuse(broken);
  }
  return { kind: 'file', body: body(), refusal: () => refusal };
}
