import { createHash } from 'node:crypto';

/** The SHA-256 of `bytes` (a string as UTF-8), in lowercase hex (as the ports report it). */
export function sha256Of(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
