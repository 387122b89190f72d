import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { OwnerId } from './ids.js';

/**
 * A stable, opaque reference to an owner: 128 bits of SHA-256 over the whole owner id, in hex.
 * Used for storage keys and per-owner model names, so neither exposes the raw id, and two owners
 * collide only if SHA-256 does (the incident's 8-character id prefixes did collide).
 */
export function ownerRef(ownerId: OwnerId): string {
  return bytesToHex(sha256(utf8ToBytes(`selfie-lora/owner/${ownerId}`))).slice(0, 32);
}
