import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { CoreDeps } from '@selfie-lora/core';
import type { OwnerHook } from '../auth.js';
import type { HttpAppOptions } from '../options.js';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** What every route module receives from `buildHttpApp`. */
export interface RouteContext {
  readonly deps: CoreDeps;
  /** `onRequest` hook: a valid bearer JWT whose subject is an owner id. */
  readonly owner: OwnerHook;
  /** `onRequest` hook: the operator's admin token. */
  readonly admin: OwnerHook;
  readonly options: HttpAppOptions;
}

export const ownerSecurity = [{ bearerAuth: [] }];
export const adminSecurity = [{ adminToken: [] }];
