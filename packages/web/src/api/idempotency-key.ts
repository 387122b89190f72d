// crypto.randomUUID exists only in secure contexts (https, localhost): a phone that opens the page
// over plain http on a home network has crypto.getRandomValues but no randomUUID, so the key is
// made from random bytes. The server takes 1 to 128 visible ASCII characters.

const KEY_BYTES = 16;

/** 32 lowercase hex characters from `fill` (the browser's crypto.getRandomValues by default). */
export function newIdempotencyKey(fill: (bytes: Uint8Array) => Uint8Array = (bytes) => crypto.getRandomValues(bytes)): string {
  return Array.from(fill(new Uint8Array(KEY_BYTES)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
