import fastifyMultipart from '@fastify/multipart';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
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
import { sendProblem, shellProblem, type Problem } from './problem.js';
import type { App, RouteContext } from './routes/context.js';
import { adminRoutes } from './routes/admin.js';
import { modelRoutes } from './routes/models.js';
import { operationRoutes } from './routes/operations.js';
import { trainingEventRoutes } from './routes/training-events.js';
import { trainingRoutes } from './routes/trainings.js';
import { uploadRoutes } from './routes/uploads.js';
import { webhookRoutes } from './routes/webhooks.js';

/** JSON bodies are small (a trigger word); photos arrive as multipart, limited on their own. */
const JSON_BODY_LIMIT = 64 * 1024;

function validationDetail(error: FastifyError): string {
  const issues = (error.validation ?? []).slice(0, 5).map((issue) => {
    const where = [error.validationContext, issue.instancePath.replace(/^\//, '').replaceAll('/', '.')].filter(Boolean).join('.');
    return `${where}: ${issue.message ?? 'invalid'}`;
  });
  return `The request is not valid: ${issues.join('; ')}.`;
}

/** Errors thrown outside the use cases (parsing, validation, bugs), as problems that leak nothing. */
function problemFor(error: FastifyError): Problem {
  if (hasZodFastifySchemaValidationErrors(error) || error.validation) return shellProblem('request.invalid', validationDetail(error));
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) return shellProblem('request.too_large');
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.statusCode === 415) return shellProblem('request.unsupported_media_type');
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return shellProblem('request.invalid');
  return shellProblem('internal');
}

/**
 * The HTTP shell: parses and validates requests, authenticates the owner, calls one core use
 * case and maps its Result to the contract's JSON or a problem. No business rule lives here.
 */
export function buildHttpApp(options: HttpAppOptions): FastifyInstance {
  const app: App = Fastify({
    logger: options.logger ?? false,
    bodyLimit: JSON_BODY_LIMIT,
    routerOptions: { maxParamLength: 200 },
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

  const route: RouteContext = {
    deps: options.deps,
    owner: requireOwner(options.auth.jwtSecret),
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
    done();
  });
  return app;
}
