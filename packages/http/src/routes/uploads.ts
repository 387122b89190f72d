import { Readable } from 'node:stream';
import { z } from 'zod';
import {
  acceptStagedUpload,
  acceptUpload,
  createUploadSlot,
  domainError,
  IMAGE_TYPES,
  listOwnerPhotos,
  readUploadContent,
  removeUpload,
  UploadId,
  type AcceptedUpload,
  type UploadSlot,
} from '@selfie-lora/core';
import { ownerOf } from '../auth.js';
import { pendingUploadJson, trainingJson, uploadJson } from '../mappers.js';
import { singleFile } from '../multipart-file.js';
import { domainErrorReply, problemReply } from '../problem.js';
import { idParams, pendingUploadSchema, problemResponses, trainingSchema, uploadSchema } from '../schemas.js';
import { ownerSecurity, type App, type RouteContext } from './context.js';

const uploadBody = z.object({ upload: uploadSchema });
const pendingBody = z.object({ pending: pendingUploadSchema });

// Stored before the answer: 201 (200 for bytes the owner already had). Judged after it
// (PHOTO_CHECKS_AFTER_ANSWER): 202 with the photo `checking`, listed in GET /v1/uploads until judged.
const acceptedResponses = {
  201: uploadBody.describe('Stored: the photo was judged before this answer'),
  202: pendingBody.describe('Received: the photo is being normalised and checked; GET /v1/uploads shows it stored or refused'),
  200: z.union([uploadBody, pendingBody]).describe('The owner already had these exact bytes: that photo, stored or still checking'),
};

function acceptedJson(accepted: AcceptedUpload): { status: 200 | 201 | 202; body: z.infer<typeof uploadBody> | z.infer<typeof pendingBody> } {
  return accepted.kind === 'stored'
    ? { status: accepted.duplicate ? 200 : 201, body: { upload: uploadJson(accepted.upload) } }
    : { status: accepted.duplicate ? 200 : 202, body: { pending: pendingUploadJson(accepted.pending) } };
}

// The direct way in: where and how to PUT the photo. Named `upload` like the other answers, since
// its id is the upload's id once completed. Nothing about storage beyond the signed URL leaks.
const uploadSlotSchema = z
  .object({
    id: z.string().describe('The upload id to complete once the PUT succeeded'),
    url: z.string().describe('Time-limited signed URL: PUT the raw photo bytes here'),
    method: z.literal('PUT'),
    expiresAt: z.iso.datetime({ offset: true }).describe('The URL is refused after this instant'),
    byteSize: z.number().int().describe('The declared size: the URL is signed for a PUT of exactly this many bytes'),
    maxBytes: z.number().int().describe('Largest photo accepted'),
  })
  .meta({ id: 'UploadSlot' });

// The photo's size, declared before anything is signed: the core judges it against the upload
// policy, and the URL is signed for exactly that Content-Length.
const uploadSlotRequest = z.strictObject({
  byteSize: z.number().int().positive().describe('Size in bytes of the photo to be PUT: a positive integer, at most maxBytes'),
});

/** An owner's photo bytes never change under one id: their own browser may keep them a while. */
const CONTENT_CACHE_CONTROL = 'private, max-age=3600';

function uploadSlotJson(slot: UploadSlot): z.infer<typeof uploadSlotSchema> {
  return {
    id: slot.uploadId,
    url: slot.url,
    method: slot.method,
    expiresAt: slot.expiresAt.toISOString(),
    byteSize: slot.byteSize,
    maxBytes: slot.maxBytes,
  };
}

export function uploadRoutes(app: App, { deps, owner }: RouteContext): void {
  app.post(
    '/v1/uploads',
    {
      onRequest: owner,
      schema: {
        tags: ['uploads'],
        summary: 'Upload one photo (multipart field "file"); JPEG, PNG, WebP or HEIC/HEIF judged by its bytes, stored normalised (upright, sRGB, no metadata)',
        security: ownerSecurity,
        consumes: ['multipart/form-data'],
        response: { ...acceptedResponses, ...problemResponses },
      },
    },
    async (request, reply) => {
      const form = await singleFile(request, deps.config.uploadPolicy.maxBytes);
      if (form.kind === 'refused') return problemReply(reply, form.problem);
      return acceptUpload(deps, { ownerId: ownerOf(request), body: form.body }).match(
        (accepted) => {
          const answer = acceptedJson(accepted);
          reply.code(answer.status);
          return answer.body;
        },
        // A body that failed because the form broke a rule says so; otherwise the core's reason.
        (error) => {
          const refusal = form.refusal();
          return refusal ? problemReply(reply, refusal) : domainErrorReply(reply, error);
        },
      );
    },
  );

  app.post(
    '/v1/uploads/presigned',
    {
      onRequest: owner,
      schema: {
        tags: ['uploads'],
        summary: 'Start a direct upload: declare the photo\'s size, get a URL to PUT exactly that many bytes to, then POST /v1/uploads/{id}/complete',
        security: ownerSecurity,
        body: uploadSlotRequest,
        response: { 201: z.object({ upload: uploadSlotSchema }).describe('Where to PUT the photo; nothing is stored yet'), ...problemResponses },
      },
    },
    (request, reply) =>
      createUploadSlot(deps, { ownerId: ownerOf(request), byteSize: request.body.byteSize }).match(
        (slot) => {
          reply.code(201);
          return { upload: uploadSlotJson(slot) };
        },
        (error) => domainErrorReply(reply, error),
      ),
  );

  app.post(
    '/v1/uploads/:id/complete',
    {
      onRequest: owner,
      schema: {
        tags: ['uploads'],
        summary: 'Finish a direct upload: the PUT bytes are judged like a multipart upload, then recorded',
        security: ownerSecurity,
        params: idParams,
        response: { ...acceptedResponses, ...problemResponses },
      },
    },
    (request, reply) =>
      acceptStagedUpload(deps, { ownerId: ownerOf(request), uploadId: request.params.id }).match(
        (accepted) => {
          const answer = acceptedJson(accepted);
          reply.code(answer.status);
          return answer.body;
        },
        (error) => domainErrorReply(reply, error),
      ),
  );

  app.get(
    '/v1/uploads',
    {
      onRequest: owner,
      schema: {
        tags: ['uploads'],
        summary: "The owner's stored photos, and those received and still checking or refused (with the reason)",
        security: ownerSecurity,
        response: { 200: z.object({ uploads: z.array(uploadSchema), pending: z.array(pendingUploadSchema) }), ...problemResponses },
      },
    },
    (request, reply) =>
      listOwnerPhotos(deps, ownerOf(request)).match(
        ({ uploads, pending }) => ({ uploads: uploads.map(uploadJson), pending: pending.map(pendingUploadJson) }),
        (error) => domainErrorReply(reply, error),
      ),
  );

  app.get(
    '/v1/uploads/:id/content',
    {
      onRequest: owner,
      schema: {
        tags: ['uploads'],
        summary: 'The stored photo itself (normalised: upright, sRGB, no metadata), with its content type',
        security: ownerSecurity,
        params: idParams,
        response: {
          200: { description: 'The photo bytes', content: Object.fromEntries(IMAGE_TYPES.map((type) => [type, { schema: z.string() }])) },
          ...problemResponses,
        },
      },
    },
    (request, reply) =>
      UploadId.parse(request.params.id)
        .mapErr(() => domainError('upload.not_found'))
        .asyncAndThen((uploadId) => readUploadContent(deps, { ownerId: ownerOf(request), uploadId }))
        .match(
          ({ upload, body }) => {
            reply.type(upload.contentType).header('cache-control', CONTENT_CACHE_CONTROL);
            // Fastify sends a returned stream as it is (no serializer); the typed route names a string.
            return Readable.from(body, { objectMode: false }) as unknown as string;
          },
          (error) => domainErrorReply(reply, error),
        ),
  );

  // 200 with the deleted upload (its row stays as provenance, status "deleted") and the training
  // this deletion canceled, if one was using the photo, so a client can say why it stopped.
  app.delete(
    '/v1/uploads/:id',
    {
      onRequest: owner,
      schema: {
        tags: ['uploads'],
        summary: 'Delete a photo: its bytes are erased at once; an active training using it is canceled. A refused photo is forgotten (204); one still checking cannot be deleted yet (409)',
        security: ownerSecurity,
        params: idParams,
        response: {
          200: z.object({ upload: uploadSchema, canceledTraining: trainingSchema.nullable() }),
          204: z.null().describe('A refused photo, never stored: its record is forgotten'),
          ...problemResponses,
        },
      },
    },
    (request, reply) =>
      UploadId.parse(request.params.id)
        .mapErr(() => domainError('upload.not_found'))
        .asyncAndThen((uploadId) => removeUpload(deps, { ownerId: ownerOf(request), uploadId }))
        .match(
          (removed) => {
            if (removed.kind === 'dismissed') {
              reply.code(204);
              return null;
            }
            return { upload: uploadJson(removed.upload), canceledTraining: removed.canceled ? trainingJson(removed.canceled, null) : null };
          },
          (error) => domainErrorReply(reply, error),
        ),
  );
}
