import { z } from 'zod';
import { deleteUpload, domainError, listUploads, registerUpload, UploadId } from '@selfie-lora/core';
import { ownerOf } from '../auth.js';
import { trainingJson, uploadJson } from '../mappers.js';
import { singleFile } from '../multipart-file.js';
import { domainErrorReply, problemReply } from '../problem.js';
import { idParams, problemResponses, trainingSchema, uploadSchema } from '../schemas.js';
import { ownerSecurity, type App, type RouteContext } from './context.js';

const uploadBody = z.object({ upload: uploadSchema });

export function uploadRoutes(app: App, { deps, owner }: RouteContext): void {
  app.post(
    '/v1/uploads',
    {
      onRequest: owner,
      schema: {
        tags: ['uploads'],
        summary: 'Upload one photo (multipart field "file"); JPEG, PNG or WebP judged by its bytes',
        security: ownerSecurity,
        consumes: ['multipart/form-data'],
        response: {
          201: uploadBody.describe('Stored'),
          200: uploadBody.describe('The owner already had these exact bytes: the existing upload'),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const form = await singleFile(request, deps.config.uploadPolicy.maxBytes);
      if (form.kind === 'refused') return problemReply(reply, form.problem);
      return registerUpload(deps, { ownerId: ownerOf(request), body: form.body }).match(
        ({ upload, duplicate }) => {
          reply.code(duplicate ? 200 : 201);
          return { upload: uploadJson(upload) };
        },
        // A body that failed because the form broke a rule says so; otherwise the core's reason.
        (error) => {
          const refusal = form.refusal();
          return refusal ? problemReply(reply, refusal) : domainErrorReply(reply, error);
        },
      );
    },
  );

  app.get(
    '/v1/uploads',
    {
      onRequest: owner,
      schema: {
        tags: ['uploads'],
        summary: "The owner's stored photos",
        security: ownerSecurity,
        response: { 200: z.object({ uploads: z.array(uploadSchema) }), ...problemResponses },
      },
    },
    (request, reply) =>
      listUploads(deps, ownerOf(request)).match(
        (uploads) => ({ uploads: uploads.map(uploadJson) }),
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
        summary: 'Delete a photo: its bytes are erased at once; an active training using it is canceled',
        security: ownerSecurity,
        params: idParams,
        response: {
          200: z.object({ upload: uploadSchema, canceledTraining: trainingSchema.nullable() }),
          ...problemResponses,
        },
      },
    },
    (request, reply) =>
      UploadId.parse(request.params.id)
        .mapErr(() => domainError('upload.not_found'))
        .asyncAndThen((uploadId) => deleteUpload(deps, { ownerId: ownerOf(request), uploadId }))
        .match(
          ({ upload, canceled }) =>
            ({ upload: uploadJson(upload), canceledTraining: canceled ? trainingJson(canceled, null) : null }),
          (error) => domainErrorReply(reply, error),
        ),
  );
}
