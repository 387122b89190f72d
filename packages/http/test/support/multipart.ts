export interface FormPart {
  readonly name: string;
  /** A file part when set; a plain field otherwise. */
  readonly filename?: string;
  readonly contentType?: string;
  readonly body: Uint8Array | string;
}

/** A multipart/form-data body built byte by byte, so tests control every part (and can cut it short). */
export function multipart(parts: readonly FormPart[], boundary = 'selfie-lora-test-boundary'): { payload: Buffer; headers: Record<string, string> } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition =
      part.filename === undefined
        ? `form-data; name="${part.name}"`
        : `form-data; name="${part.name}"; filename="${part.filename}"`;
    const type = part.contentType ?? (part.filename === undefined ? 'text/plain' : 'application/octet-stream');
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: ${type}\r\n\r\n`));
    chunks.push(typeof part.body === 'string' ? Buffer.from(part.body) : Buffer.from(part.body));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** The usual upload form: one file in the field `file`. */
export function photoForm(bytes: Uint8Array, filename = 'selfie.jpg'): { payload: Buffer; headers: Record<string, string> } {
  return multipart([{ name: 'file', filename, contentType: 'image/jpeg', body: bytes }]);
}
