/** Bytes as the stream an HTTP body or S3 object would be, in chunks. */
export async function* streamOf(bytes: Uint8Array, chunkSize = 16 * 1024): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += chunkSize) {
    yield bytes.subarray(offset, offset + chunkSize);
    await Promise.resolve();
  }
}

/** Everything a stream yields, as one buffer (test-side only: production code never does this). */
export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}
