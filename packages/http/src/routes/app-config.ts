import { z } from 'zod';
import { INPUT_IMAGE_TYPES } from '@selfie-lora/core';
import { DEFAULT_PRESIGNED_THRESHOLD_BYTES, type WebAppOptions } from './web-app.js';
import type { App, RouteContext } from './context.js';

const appConfigSchema = z
  .object({
    demoSignIn: z.boolean().describe('Whether POST /v1/demo/sign-in is offered (development credentials only)'),
    minPhotos: z.number().int().describe('Stored photos needed to start a training (TRAINING_MIN_PHOTOS)'),
    maxPhotos: z.number().int().describe('The most photos one training uses (TRAINING_MAX_PHOTOS)'),
    maxUploadBytes: z.number().int().describe('Largest photo accepted (UPLOAD_MAX_BYTES)'),
    presignedThresholdBytes: z.number().int().describe('Photos larger than this go straight to storage (POST /v1/uploads/presigned)'),
    minWidth: z.number().int().describe('Smallest accepted width in pixels (UPLOAD_MIN_WIDTH)'),
    minHeight: z.number().int().describe('Smallest accepted height in pixels (UPLOAD_MIN_HEIGHT)'),
    maxPixels: z.number().int().describe('Largest accepted width x height (IMAGE_MAX_PIXELS)'),
    acceptedTypes: z.array(z.string()).describe('Types accepted by their bytes (HEIC/HEIF are stored as JPEG)'),
  })
  .meta({ id: 'AppConfig' });

export type AppConfigJson = z.infer<typeof appConfigSchema>;

/**
 * What the browser client checks before it sends anything, read from the very configuration the
 * use cases and the image adapters judge with, so the page's checks mirror the server's.
 */
export function appConfigRoutes(app: App, { deps }: RouteContext, webApp: WebAppOptions): void {
  app.get(
    '/app-config.json',
    { schema: { tags: ['web app'], summary: "The limits the web app checks photos against, and whether demo sign-in is offered", response: { 200: appConfigSchema } } },
    async (_request, reply): Promise<AppConfigJson> => {
      reply.header('cache-control', 'no-cache');
      const { uploadPolicy } = deps.config;
      return {
        demoSignIn: webApp.demoSignIn ?? false,
        minPhotos: deps.config.minPhotos,
        maxPhotos: deps.config.maxTrainingPhotos,
        maxUploadBytes: uploadPolicy.maxBytes,
        presignedThresholdBytes: webApp.presignedThresholdBytes ?? DEFAULT_PRESIGNED_THRESHOLD_BYTES,
        minWidth: uploadPolicy.minWidth,
        minHeight: uploadPolicy.minHeight,
        maxPixels: webApp.maxPixels,
        acceptedTypes: [...INPUT_IMAGE_TYPES],
      };
    },
  );
}
