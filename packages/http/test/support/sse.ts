export interface ServerSentEvent {
  readonly event: string;
  readonly id: string | null;
  readonly data: string;
}

/** Reads server-sent events off a streaming fetch response, one at a time; null once the stream ended. */
export function sseReader(body: ReadableStream<Uint8Array>): { next: () => Promise<ServerSentEvent | null> } {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  async function next(): Promise<ServerSentEvent | null> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = block.split('\n').filter((line) => !line.startsWith(':') && line.includes(':'));
        const value = (name: string) => fields.filter((l) => l.startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).trimStart());
        if (value('data').length === 0) continue; // comments and `retry:` carry no event
        return { event: value('event')[0] ?? 'message', id: value('id')[0] ?? null, data: value('data').join('\n') };
      }
      const chunk = await reader.read();
      if (chunk.done) return null;
      buffer += decoder.decode(chunk.value, { stream: true });
    }
  }
  return { next };
}
