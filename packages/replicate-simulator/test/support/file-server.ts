import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A tiny loopback HTTP server serving fixed bytes at fixed paths (a stand-in for signed S3 URLs). */
export async function startFileServer(): Promise<{
  serve(path: string, bytes: Uint8Array): string;
  readonly hits: string[];
  close(): Promise<void>;
}> {
  const files = new Map<string, Uint8Array>();
  const hits: string[] = [];
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    hits.push(path);
    const bytes = files.get(path);
    if (!bytes) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/zip', 'content-length': bytes.byteLength }).end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    serve(path, bytes) {
      files.set(path, bytes);
      return `http://127.0.0.1:${port}${path}?X-Amz-Expires=600&X-Amz-Signature=simulated`;
    },
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ReceivedWebhook {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A loopback webhook receiver that answers each delivery with the next scripted status (then 200). */
export async function startWebhookReceiver(statuses: number[] = []): Promise<{
  readonly url: string;
  readonly received: ReceivedWebhook[];
  close(): Promise<void>;
}> {
  const received: ReceivedWebhook[] = [];
  const script = [...statuses];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers[name] = value;
      received.push({ headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(script.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/replicate`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
