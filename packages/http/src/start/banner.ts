import type { RunningService } from './start-service.js';

/** What `npm start` prints once it serves: where to go and, in dev mode, how to authenticate. */
export function banner(service: RunningService): string[] {
  const lines = ['', `Selfie-LoRA is serving at ${service.url}  (API description: ${service.url}/openapi.json)`];
  if (service.embedded.includes('replicate')) lines.push('  >>> TRAINER SIMULATED: models made here are not real LoRA models. <<<');
  if (service.devToken !== null) {
    lines.push(
      '',
      'Development credentials (generated for this run; set AUTH_JWT_SECRET and ADMIN_TOKEN to choose your own):',
      `  export TOKEN=${service.devToken}`,
      `  export ADMIN_TOKEN=${service.adminToken}`,
      `  curl -H "Authorization: Bearer $TOKEN" ${service.url}/v1/uploads`,
    );
  }
  lines.push('', 'Press Ctrl+C to stop.', '');
  return lines;
}
