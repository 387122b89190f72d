import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const webDir = fileURLToPath(new URL('../../../packages/web/', import.meta.url));

/** Builds packages/web (vite build) when its dist is absent, as `npm start` would. */
export async function ensureWebBuilt(): Promise<void> {
  if (existsSync(`${webDir}dist/index.html`)) return;
  await promisify(execFile)('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: webDir });
}
