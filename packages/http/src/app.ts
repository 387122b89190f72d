import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import fastifyCors from '@fastify/cors';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type ConnectionError, type FastifyError, type FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { requireAdmin, requireOwner } from './auth.js';
import type { HttpAppOptions } from './options.js';
import { problem, sendProblem, shellProblem, type Problem, type ShellProblemCode } from './problem.js';
import { rateLimitOptions } from './rate-limit.js';
import { corsOptions, protectiveHeaders } from './response-headers.js';
import { serverTimeoutOptions } from './server-timeouts.js';
import type { App, RouteContext } from './routes/context.js';
import { adminRoutes } from './routes/admin.js';
import { adminOwnerRoutes } from './routes/admin-owners.js';
import { appConfigRoutes } from './routes/app-config.js';
import { demoSignInRoutes } from './routes/demo-sign-in.js';
import { modelRoutes } from './routes/models.js';
import { meRoutes } from './routes/me.js';
import { operationRoutes } from './routes/operations.js';
import { trainingEventRoutes } from './routes/training-events.js';
import { trainingRoutes } from './routes/trainings.js';
import { uploadRoutes } from './routes/uploads.js';
import { webAppRoutes } from './routes/web-app.js';
import { webhookRoutes } from './routes/webhooks.js';

/** JSON bodies are small (a trigger word); photos arrive as multipart, limited on their own. */
const JSON_BODY_LIMIT = 64 * 1024;

/**
 * The core judges ids (one it cannot accept names nothing: `*.not_found`, whatever its length), so
 * the router must not refuse them first. Node reads at most 16 KiB of request line and headers by
 * default, so no real request carries a longer segment; one longer still is too large to read.
 */
const MAX_PARAM_LENGTH = 16 * 1024;

/**
 * A request too large to read at all: its body (413), its address (414) or its headers (431).
 * One code, so a client need not know which limit it met; the HTTP status stays the precise one.
 */
const TOO_LARGE: ShellProblemCode = 'request.too_large';
const tooLargeDetail = {
  414: 'The address is too long.',
  431: 'The request headers or address are too large.',
} as const;

function validationDetail(error: FastifyError): string {
  const issues = (error.validation ?? []).slice(0, 5).map((issue) => {
    const where = [error.validationContext, issue.instancePath.replace(/^\//, '').replaceAll('/', '.')].filter(Boolean).join('.');
    return `${where}: ${issue.message ?? 'invalid'}`;
  });
  return `The request is not valid: ${issues.join('; ')}.`;
}

/**
 * Errors raised outside the use cases (routing, URL decoding, body parsing, validation, bugs), as
 * problems with the shell's stable codes that leak nothing of the framework.
 */
function problemFor(error: FastifyError): Problem {
  if (hasZodFastifySchemaValidationErrors(error) || error.validation) return shellProblem('request.invalid', validationDetail(error));
  if (error.code === 'FST_ERR_BAD_URL') return shellProblem('request.invalid', 'The address is not valid: it has a malformed percent-encoding.');
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) return shellProblem(TOO_LARGE);
  // The router's FST_ERR_MAX_PARAM_LENGTH (414): only past MAX_PARAM_LENGTH.
  if (error.statusCode === 414) return problem(414, TOO_LARGE, tooLargeDetail[414]);
  if (error.statusCode === 429) return shellProblem('rate_limit.exceeded');
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.statusCode === 415) return shellProblem('request.unsupported_media_type');
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return shellProblem('request.invalid');
  return shellProblem('internal');
}

/** The HTTP parser's refusals, before there is any request: its code, as a problem. */
function clientErrorProblem(error: ConnectionError): Problem {
  if (error.code === 'HPE_HEADER_OVERFLOW') return problem(431, TOO_LARGE, tooLargeDetail[431]);
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return problem(408, 'request.invalid', 'The request did not arrive in time.');
  return shellProblem('request.invalid', 'The request is not valid HTTP.');
}

/**
 * Replaces Fastify's default `clientError` answer (plain JSON with its own fields). There is no
 * reply object here: the response is written to the socket, which is then closed (as Node does).
 */
function answerClientError(error: ConnectionError, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const body = clientErrorProblem(error);
    const json = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${body.status} ${STATUS_CODES[body.status] ?? 'Error'}\r\nConnection: close\r\n` +
        `Content-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
    );
  }
  socket.destroy(error);
}

/**
 * The HTTP shell: parses and validates requests, authenticates the owner, calls one core use
 * case and maps its Result to the contract's JSON or a problem. No business rule lives here.
 */
export function buildHttpApp(options: HttpAppOptions): FastifyInstance {
  const app: App = Fastify({
    ...(typeof options.logger === 'object' ? { loggerInstance: options.logger } : { logger: options.logger ?? false }),
    bodyLimit: JSON_BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Refusals before any route or error handler runs (a malformed %-escape, a too long id) answer
    // like every other failure, with or without a token: there is no resource to protect yet.
    frameworkErrors: (error, request, reply) => {
      request.log.info({ code: error.code }, 'request refused before routing');
      void sendProblem(reply, problemFor(error));
    },
    clientErrorHandler: answerClientError,
    ...serverTimeoutOptions(options.timeouts),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const body = problemFor(error);
    if (body.status >= 500) request.log.error({ err: error }, 'unexpected error');
    return sendProblem(reply, body);
  });
  app.setNotFoundHandler((_request, reply) => sendProblem(reply, shellProblem('route.not_found')));

  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Selfie-LoRA',
        version: '1.0.0',
        description: 'Upload selfies, train a personal LoRA model on exactly your own photos, and follow every verified step.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'HS256 JWT; `sub` is the owner id' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'The operator token (ADMIN_TOKEN)' },
        },
      },
    },
    transform: (document) => {
      const transformed = jsonSchemaTransform(document);
      // The multipart body is streamed by the handler, not validated by a schema: documented here only.
      if (document.url === '/v1/uploads' && document.route.method === 'POST') {
        const fileBody = { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } };
        return { ...transformed, schema: { ...transformed.schema, body: fileBody } };
      }
      return transformed;
    },
    transformObject: jsonSchemaTransformObject,
  });
  void app.register(fastifyMultipart, { throwFileSizeLimit: true });
  if (options.rateLimit) void app.register(fastifyRateLimit, rateLimitOptions(options.rateLimit));
  void app.register(fastifyCors, corsOptions(options.corsAllowedOrigins ?? []));
  app.addHook('onSend', protectiveHeaders);

  const route: RouteContext = {
    deps: options.deps,
    owner: requireOwner(options.auth),
    admin: requireAdmin(options.adminToken),
    options,
  };
  void app.register((scope: App, _options, done) => {
    uploadRoutes(scope, route);
    trainingRoutes(scope, route);
    trainingEventRoutes(scope, route);
    modelRoutes(scope, route);
    webhookRoutes(scope, route);
    operationRoutes(scope, route);
    adminRoutes(scope, route);
    adminOwnerRoutes(scope, route);
    meRoutes(scope, route);
    if (options.webApp) {
      appConfigRoutes(scope, route, options.webApp);
      if (options.webApp.demoSignIn === true) demoSignInRoutes(scope, options.auth);
    }
    done();
  });
  if (options.webApp) webAppRoutes(app, options.webApp);
  return app;
}
