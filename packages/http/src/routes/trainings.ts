import { ResultAsync } from 'neverthrow';
import { z } from 'zod';
import {
  cancelTraining,
  domainError,
  getTraining,
  listModels,
  listTrainings,
  PipelineId,
  restartTraining,
  startTraining,
  type DomainError,
  type Model,
  type PipelineId as PipelineIdType,
} from '@selfie-lora/core';
import type { Result } from 'neverthrow';
import { ownerOf } from '../auth.js';
import { trainingJson } from '../mappers.js';
import { domainErrorReply } from '../problem.js';
import { idParams, problemResponses, trainingSchema } from '../schemas.js';
import { ownerSecurity, type App, type RouteContext } from './context.js';

const trainingBody = z.object({ training: trainingSchema });

/** An id that cannot be valid names no training of this owner. */
export function pipelineIdFrom(value: string): Result<PipelineIdType, DomainError> {
  return PipelineId.parse(value).mapErr(() => domainError('training.not_found'));
}

export function trainingRoutes(app: App, { deps, owner, options }: RouteContext): void {
  app.post(
    '/v1/trainings',
    {
      onRequest: owner,
      schema: {
        tags: ['trainings'],
        summary: "Start a training over the owner's stored photos (all, or those named in uploadIds); the work runs in the background",
        security: ownerSecurity,
        // No length bounds here: the core judges both (one code for any length); the JSON body
        // limit and Node's header limit bound what is read.
        headers: z.looseObject({
          'idempotency-key': z
            .string()
            .optional()
            .describe('1 to 128 printable ASCII characters. Repeating a request with the same key returns the same training'),
        }),
        // No body at all is as good as `{}`.
        body: z
          .strictObject({
            triggerWord: z.string().optional().describe('1 to 32 letters, digits, "_" or "-" (default "TOK")'),
            uploadIds: z
              .array(z.string())
              .max(1000)
              .optional()
              .describe('The photos to train on, each one of your stored photos (default: all of them); at most TRAINING_MAX_PHOTOS (50)'),
          })
          .nullish(),
        response: { 202: trainingBody, ...problemResponses },
      },
    },
    (request, reply) =>
      startTraining(deps, {
        ownerId: ownerOf(request),
        triggerWord: request.body?.triggerWord,
        idempotencyKey: request.headers['idempotency-key'],
        ...(request.body?.uploadIds ? { uploadIds: request.body.uploadIds } : {}),
      }).match(
        ({ pipeline, created }) => {
          if (created) options.onTrainingAccepted?.();
          else reply.header('idempotent-replayed', 'true');
          reply.code(202).header('location', `/v1/trainings/${pipeline.id}`);
          return { training: trainingJson(pipeline, null) };
        },
        (error) => domainErrorReply(reply, error),
      ),
  );

  app.get(
    '/v1/trainings',
    {
      onRequest: owner,
      schema: {
        tags: ['trainings'],
        summary: "The owner's trainings, newest first",
        security: ownerSecurity,
        response: { 200: z.object({ trainings: z.array(trainingSchema) }), ...problemResponses },
      },
    },
    (request, reply) => {
      const ownerId = ownerOf(request);
      return ResultAsync.combine([listTrainings(deps, ownerId), listModels(deps, ownerId)] as const).match(
        ([pipelines, models]) => {
          const byTraining = new Map<string, Model>(models.map((model) => [model.pipelineId, model]));
          return { trainings: pipelines.map((p) => trainingJson(p, byTraining.get(p.id) ?? null)) };
        },
        (error) => domainErrorReply(reply, error),
      );
    },
  );

  app.get(
    '/v1/trainings/:id',
    {
      onRequest: owner,
      schema: {
        tags: ['trainings'],
        summary: 'A training: status, each step with its verification evidence, failure, model',
        security: ownerSecurity,
        params: idParams,
        response: { 200: trainingBody, ...problemResponses },
      },
    },
    (request, reply) =>
      pipelineIdFrom(request.params.id)
        .asyncAndThen((id) => getTraining(deps, ownerOf(request), id))
        .match(
          ({ pipeline, model }) => ({ training: trainingJson(pipeline, model) }),
          (error) => domainErrorReply(reply, error),
        ),
  );

  app.post(
    '/v1/trainings/:id/cancel',
    {
      onRequest: owner,
      schema: {
        tags: ['trainings'],
        summary: 'Cancel an active training',
        security: ownerSecurity,
        params: idParams,
        response: { 200: trainingBody, ...problemResponses },
      },
    },
    (request, reply) =>
      pipelineIdFrom(request.params.id)
        .asyncAndThen((pipelineId) => cancelTraining(deps, { ownerId: ownerOf(request), pipelineId }))
        .match(
          (canceled) => ({ training: trainingJson(canceled, null) }),
          (error) => domainErrorReply(reply, error),
        ),
  );

  app.post(
    '/v1/trainings/:id/restart',
    {
      onRequest: owner,
      schema: {
        tags: ['trainings'],
        summary: 'Start a new training (verified from scratch) in place of a failed or canceled one',
        security: ownerSecurity,
        params: idParams,
        response: { 202: trainingBody, ...problemResponses },
      },
    },
    (request, reply) =>
      pipelineIdFrom(request.params.id)
        .asyncAndThen((pipelineId) => restartTraining(deps, { ownerId: ownerOf(request), pipelineId }))
        .match(
          (pipeline) => {
            options.onTrainingAccepted?.();
            reply.code(202).header('location', `/v1/trainings/${pipeline.id}`);
            return { training: trainingJson(pipeline, null) };
          },
          (error) => domainErrorReply(reply, error),
        ),
  );
}
